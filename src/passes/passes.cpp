#include "passes/passes.h"

#include <cmath>

#include "graph/shape_inference.h"
#include "kernels/registry.h"
#include "ops/elementwise.h"
#include "ops/matmul.h"
#include "ops/normalization.h"
#include "ops/schema.h"
#include "passes/decomposed_ops.h"
#include "passes/graph_edit.h"

namespace qplay {
namespace {

int64_t OpsetOf(const Model& model, const Node& node) {
  auto it = model.opsets.find(node.domain);
  return it == model.opsets.end() ? 0 : it->second;
}

}  // namespace

Result<PassReport> FoldConstants(Model& model, bool keep_size) {
  PassReport report{"fold constants", {}};
  Graph& graph = model.graph;
  std::vector<Node> kept;
  for (Node& node : graph.nodes) {
    bool constant = !node.outputs.empty();
    for (const auto& in : node.inputs) constant = constant && (in.empty() || graph.IsInitializer(in));
    for (const auto& [_, attr] : node.attributes) constant = constant && !attr.g && attr.unreadable.empty();
    // Only a node the loader validated (its op defined at the model's opset, so its inputs are
    // there) runs here: a kernel trusts its schema's arity.
    constant = constant && SchemaRegistry::Get().Find(node.domain, node.op_type, OpsetOf(model, node));
    KernelFn kernel = constant ? KernelRegistry::Get().Find(node.domain, node.op_type) : nullptr;
    if (!kernel) {
      kept.push_back(std::move(node));
      continue;
    }
    std::vector<const Tensor*> inputs;
    for (const auto& in : node.inputs) inputs.push_back(in.empty() ? nullptr : &graph.initializers.at(in));
    while (!inputs.empty() && !inputs.back()) inputs.pop_back();
    KernelContext ctx(node, OpsetOf(model, node), inputs, nullptr);
    size_t in_bytes = 0, out_bytes = 0;
    for (const Tensor* t : inputs) in_bytes += t ? t->nbytes() : 0;
    const bool ran = Invoke(kernel, ctx).ok();  // else left for the runtime to report
    for (const Tensor& t : ctx.outputs()) out_bytes += t.nbytes();
    if (!ran || (keep_size && !inputs.empty() && out_bytes > in_bytes)) {
      kept.push_back(std::move(node));
      continue;
    }
    for (size_t i = 0; i < node.outputs.size(); ++i)
      if (!node.outputs[i].empty()) graph.initializers[node.outputs[i]] = ctx.outputs()[i];
    report.changes.push_back(node.Describe() + " folded into initializer '" + node.outputs[0] + "'");
  }
  graph.nodes = std::move(kept);
  RemoveUnusedInitializers(graph);
  return report;
}

Result<PassReport> RemoveIdentities(Model& model) {
  PassReport report{"remove identities", {}};
  Graph& graph = model.graph;
  for (size_t i = 0; i < graph.nodes.size();) {
    const Node& node = graph.nodes[i];
    const OpSchema* schema = SchemaRegistry::Get().Latest(node.domain, node.op_type);
    if (!schema || !schema->PassesInputThrough(graph, node) || node.inputs.empty() || node.inputs[0].empty()) {
      ++i;
      continue;
    }
    const std::string x = node.inputs[0], y = node.outputs[0];
    if (IsGraphOutput(graph, y)) {
      // Keep the output's name: the producer of x writes y directly, when nothing else needs x.
      auto producer = std::find_if(graph.nodes.begin(), graph.nodes.end(), [&](const Node& n) {
        return std::find(n.outputs.begin(), n.outputs.end(), x) != n.outputs.end();
      });
      if (producer == graph.nodes.end() || IsGraphOutput(graph, x) || Consumers(graph, x).size() != 1) {
        ++i;
        continue;
      }
      std::replace(producer->outputs.begin(), producer->outputs.end(), x, y);
    } else {
      ReplaceUses(graph, y, x);
    }
    report.changes.push_back(node.Describe() + " removed");
    graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(i));
  }
  return report;
}

Result<PassReport> FoldBatchNormalization(Model& model) {
  PassReport report{"fold BatchNormalization", {}};
  Graph& graph = model.graph;
  for (size_t i = 0; i < graph.nodes.size();) {
    const Node bn = graph.nodes[i];
    auto skip = [&] { ++i; };
    if (!IsOp(bn, ops::kBatchNormalization) || bn.GetInt("training_mode", 0) ||
        (bn.outputs.size() > 1 && !bn.outputs[1].empty())) {
      skip();
      continue;
    }
    const std::string x = bn.inputs[0];
    auto producer_it = std::find_if(graph.nodes.begin(), graph.nodes.end(), [&](const Node& n) {
      return !n.outputs.empty() && n.outputs[0] == x;
    });
    const Tensor *scale = FloatInitializer(graph, bn, 1), *shift = FloatInitializer(graph, bn, 2),
                 *mean = FloatInitializer(graph, bn, 3), *var = FloatInitializer(graph, bn, 4);
    if (producer_it == graph.nodes.end() || !scale || !shift || !mean || !var || IsGraphOutput(graph, x) ||
        Consumers(graph, x).size() != 1) {
      skip();
      continue;
    }
    // The producer folds the BatchNormalization in when its schema gives it a weight (input 1)
    // with an output-channel axis and a bias (input 2) that it adds unscaled.
    Node& producer = *producer_it;
    const OpSchema* schema = SchemaRegistry::Get().Latest(producer.domain, producer.op_type);
    const QuantFacts* facts = schema ? &schema->quant() : nullptr;
    const Tensor* weight = FloatInitializer(graph, producer, 1);
    const Tensor* bias = FloatInitializer(graph, producer, 2);
    const bool has_bias_input = producer.inputs.size() > 2 && !producer.inputs[2].empty();
    const bool foldable_op = facts && facts->weight_input == 1 && facts->bias_input == 2 && producer.GetFloat("beta", 1.0f) == 1.0f;
    const int64_t channels = scale->size();
    if (!foldable_op || !weight || (has_bias_input && (!bias || bias->size() != channels))) {
      skip();
      continue;
    }
    // y = a * x + b per channel
    const double eps = bn.GetFloat("epsilon", 1e-5f);
    std::vector<double> a(channels), b(channels);
    for (int64_t c = 0; c < channels; ++c) {
      a[c] = scale->data<float>()[c] / std::sqrt(static_cast<double>(var->data<float>()[c]) + eps);
      b[c] = shift->data<float>()[c] - mean->data<float>()[c] * a[c];
    }
    // Which weight axis holds the output channel (a grouped ConvTranspose's holds channels / group
    // and is skipped), and how many elements per (outer, channel) slice.
    const int64_t axis = facts->weight_channel_axis(producer, weight->shape());
    if (axis < 0 || weight->dim(axis) != channels) {
      skip();
      continue;
    }
    Tensor new_weight = weight->Clone();
    int64_t inner = 1;
    for (int64_t d = axis + 1; d < weight->rank(); ++d) inner *= weight->dim(d);
    for (int64_t e = 0; e < new_weight.size(); ++e) {
      const int64_t c = (e / inner) % channels;
      new_weight.data<float>()[e] = static_cast<float>(new_weight.data<float>()[e] * a[c]);
    }
    Tensor new_bias(DataType::kFloat, {channels});
    for (int64_t c = 0; c < channels; ++c)
      new_bias.data<float>()[c] = static_cast<float>((bias ? bias->data<float>()[c] : 0.0f) * a[c] + b[c]);

    // Folded values keep their initializer's name (which overrides and reports refer to)
    // unless another node also reads it.
    auto folded_name = [&](const std::string& original) {
      return Consumers(graph, original).size() == 1 && !IsGraphOutput(graph, original) ? original
                                                                                        : FreshName(graph, original + "_bn_folded");
    };
    const std::string weight_name = folded_name(producer.inputs[1]);
    graph.initializers[weight_name] = new_weight;
    const std::string bias_name =
        has_bias_input ? folded_name(producer.inputs[2]) : FreshName(graph, producer.name + ".bias_bn_folded");
    graph.initializers[bias_name] = new_bias;
    producer.inputs[1] = weight_name;
    producer.inputs.resize(std::max<size_t>(producer.inputs.size(), 3));
    producer.inputs[2] = bias_name;
    producer.outputs[0] = bn.outputs[0];
    report.changes.push_back(bn.Describe() + " folded into " + producer.Describe());
    graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(i));
  }
  RemoveUnusedInitializers(graph);
  return report;
}

Result<PassReport> FuseMatMulAddIntoGemm(Model& model) {
  PassReport report{"fuse MatMul + Add into Gemm", {}};
  Graph& graph = model.graph;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    Node& matmul = graph.nodes[i];
    if (!IsOp(matmul, ops::kMatMul)) continue;
    const ValueType* x = graph.TypeOf(matmul.inputs[0]);
    const Tensor* weight = FloatInitializer(graph, matmul, 1);
    const std::vector<size_t> readers = Consumers(graph, matmul.outputs[0]);
    if (!x || !x->shape || x->shape->size() != 2 || !weight || weight->rank() != 2 || readers.size() != 1 ||
        IsGraphOutput(graph, matmul.outputs[0]))
      continue;
    const Node& add = graph.nodes[readers[0]];
    if (!IsOp(add, ops::kAdd)) continue;
    const size_t bias_input = add.inputs[0] == matmul.outputs[0] ? 1 : 0;
    const Tensor* bias = FloatInitializer(graph, add, bias_input);
    const int64_t n = weight->dim(1);
    // Gemm's C broadcasts like Add only when the bias is a row: [N] or [1, N].
    if (!bias || bias->size() != n || !(bias->rank() == 1 || (bias->rank() == 2 && bias->dim(0) == 1))) continue;
    report.changes.push_back(matmul.Describe() + " and " + add.Describe() + " fused into Gemm");
    SetOp(matmul, ops::kGemm);
    matmul.inputs.push_back(add.inputs[bias_input]);
    matmul.outputs[0] = add.outputs[0];
    graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(readers[0]));
    if (readers[0] < i) --i;
  }
  return report;
}

Result<std::vector<PassReport>> RunPasses(Model& model, std::initializer_list<Pass> passes) {
  std::vector<PassReport> reports;
  for (Pass pass : passes) {
    auto report = pass(model);
    if (!report.ok()) return report.status();
    reports.push_back(std::move(report.value()));
  }
  QPLAY_RETURN_IF_ERROR(InferShapes(model));
  return reports;
}

Result<std::vector<PassReport>> PrepareForQuantization(Model& model) {
  auto fold_constants = [](Model& m) { return FoldConstants(m); };
  auto fuse_decomposed = [](Model& m) { return FuseDecomposedOps(m); };
  return RunPasses(model, {fold_constants, RemoveIdentities, FoldBatchNormalization, FuseMatMulAddIntoGemm, fuse_decomposed});
}

}  // namespace qplay
