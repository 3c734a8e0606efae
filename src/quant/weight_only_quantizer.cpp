#include "quant/weight_only_quantizer.h"

#include "ops/block_quantized.h"
#include "ops/elementwise.h"
#include "ops/matmul.h"
#include "ops/tensor_ops.h"
#include "passes/graph_edit.h"
#include "quant/block_packing.h"
#include "quant/embedding_tables.h"
#include "quant/qdq_writer.h"

namespace qplay {
namespace {

class WeightOnlyWriter {
 public:
  WeightOnlyWriter(Model& model, const QuantizationConfig& config) : model_(model), graph_(model.graph), config_(config), qdq_(model.graph, model.DefaultOpset()) {}

  Status Rewrite(std::vector<std::string>& quantized_nodes) {
    auto format = FormatFor(config_.weight_type, config_.weight_symmetric, config_.reduce_range);
    if (!format.ok()) return format.status();
    std::vector<Node> nodes;
    for (const Node& node : std::vector<Node>(graph_.nodes)) {
      if (!Selected(node) || !Write(node, *format, nodes)) {
        nodes.push_back(node);
        continue;
      }
      quantized_nodes.push_back(node.name);
    }
    graph_.nodes = std::move(nodes);
    return Status::Ok();
  }

 private:
  bool Selected(const Node& node) const {
    return IsAnyOp(node, ops::kMatMul, ops::kGemm, ops::kGather) && !config_.nodes_to_exclude.count(node.name) &&
           (config_.op_types_to_quantize.empty() || config_.op_types_to_quantize.count(node.op_type));
  }

  // Appends the node's quantized form to `nodes`; false leaves it float.
  bool Write(const Node& node, const TensorFormat& format, std::vector<Node>& nodes) {
    if (EmbeddingTable(graph_, node)) {
      if (config_.WeightsInBlocks()) {
        if (!WriteGatherBlockQuantized(graph_, node, config_.weight_bits, config_.block_size, config_.weight_symmetric, nodes))
          return false;
        model_.opsets[std::string(kMicrosoftDomain)] = 1;
        return true;
      }
      WriteGatherThenDequantize(qdq_, node, format, nodes);
      return true;
    }
    const Tensor* w = Weight(node);
    if (!w) return false;
    const bool transposed = IsOp(node, ops::kGemm) && node.GetInt("transB", 0);
    if (config_.WeightsInBlocks()) WriteBlocks(node, *w, transposed, nodes);
    else WriteEightBit(node, *w, transposed ? 0 : 1, format, nodes);
    return true;
  }

  // The constant 2-D float weight of a MatMul or plain Gemm (alpha = beta = 1, A not
  // transposed, constant C), or null.
  const Tensor* Weight(const Node& node) const {
    if (!IsAnyOp(node, ops::kMatMul, ops::kGemm)) return nullptr;
    if (IsOp(node, ops::kGemm)) {
      const bool c_constant = node.inputs.size() < 3 || node.inputs[2].empty() || graph_.IsInitializer(node.inputs[2]);
      if (node.GetInt("transA", 0) || node.GetFloat("alpha", 1.0f) != 1.0f || node.GetFloat("beta", 1.0f) != 1.0f || !c_constant)
        return nullptr;
    }
    auto w = graph_.initializers.find(node.inputs[1]);
    if (w == graph_.initializers.end() || w->second.dtype() != DataType::kFloat || w->second.rank() != 2) return nullptr;
    return &w->second;
  }

  void WriteEightBit(Node node, const Tensor& w, int64_t axis, const TensorFormat& format, std::vector<Node>& nodes) {
    const QuantizedConstant q = QuantizeConstant(w, axis, format);
    node.inputs[1] = qdq_.AddDequantized(node.inputs[1], q, axis, true, nodes);
    nodes.push_back(node);
  }

  void WriteBlocks(const Node& node, const Tensor& w, bool transposed, std::vector<Node>& nodes) {
    // MatMulNBits wants W as rows of K weights per output: [N, K].
    const Tensor rows = transposed ? w : TransposedMatrix(w);
    const int64_t bits = config_.weight_bits;
    const NBitsWeight packed = PackBlocks(rows, config_.block_size, bits, config_.weight_symmetric);
    Node mm = MakeNode(ops::kMatMulNBits, node.name + "_nbits",
                       {node.inputs[0], Initializer(node.inputs[1] + "_" + std::to_string(bits) + "bit", packed.codes),
                        Initializer(node.inputs[1] + "_scales", packed.scales)},
                       {});
    if (!packed.zero_points.empty()) mm.inputs.push_back(Initializer(node.inputs[1] + "_zero_points", packed.zero_points));
    mm.attributes["K"] = Attribute::Int(rows.dim(1));
    mm.attributes["N"] = Attribute::Int(rows.dim(0));
    mm.attributes["bits"] = Attribute::Int(bits);
    mm.attributes["block_size"] = Attribute::Int(config_.block_size);
    if (config_.accuracy_level) mm.attributes["accuracy_level"] = Attribute::Int(config_.accuracy_level);
    const bool bias = IsOp(node, ops::kGemm) && node.inputs.size() > 2 && !node.inputs[2].empty();
    mm.outputs = {bias ? FreshName(graph_, node.outputs[0] + "_product") : node.outputs[0]};
    graph_.value_types[mm.outputs[0]] = ValueType{};
    nodes.push_back(mm);
    if (bias) nodes.push_back(MakeNode(ops::kAdd, node.name + "_bias", {mm.outputs[0], node.inputs[2]}, {node.outputs[0]}));
    model_.opsets[std::string(kMicrosoftDomain)] = 1;
  }

  std::string Initializer(const std::string& base, const Tensor& value) {
    const std::string name = FreshName(graph_, base);
    graph_.initializers[name] = value;
    return name;
  }

  Model& model_;
  Graph& graph_;
  const QuantizationConfig& config_;
  QdqWriter qdq_;  // one for the whole model, so the node names it makes stay unique
};

}  // namespace

Result<QuantizationResult> QuantizeWeightOnly(const Model& input, const QuantizationConfig& config) {
  auto started = StartQuantization(input, config);
  if (!started.ok()) return started.status();
  QuantizationResult result = std::move(started.value());
  Model& model = result.model;
  if (!config.WeightsInBlocks() && model.DefaultOpset() < 13)
    return Fail(StatusCode::kUnsupported, "8-bit weight-only quantization stores per-channel DequantizeLinear, which needs ai.onnx opset 13; ",
                "the model imports opset ", model.DefaultOpset());
  WeightOnlyWriter writer(model, config);
  QPLAY_RETURN_IF_ERROR(writer.Rewrite(result.quantized_nodes));
  QPLAY_RETURN_IF_ERROR(FinishRewrite(model));
  return result;
}

}  // namespace qplay
