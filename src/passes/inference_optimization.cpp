#include "passes/inference_optimization.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <set>

#include "ops/conv.h"
#include "passes/decomposed_ops.h"
#include "passes/graph_edit.h"
#include "passes/matmul_integer_fusion.h"

namespace qplay {
namespace {

struct Activation {
  std::string name;
  std::vector<float> params;
};

// Clip's bounds as its kernel reads them: attributes before opset 11, constant inputs from 11,
// the largest finite floats when absent. nullopt when a bound is computed at run time.
std::optional<std::vector<float>> ClipBounds(const Graph& graph, const Node& clip, int64_t opset) {
  constexpr float kMax = std::numeric_limits<float>::max();
  if (opset < 11) return std::vector<float>{clip.GetFloat("min", -kMax), clip.GetFloat("max", kMax)};
  std::vector<float> bounds{-kMax, kMax};
  for (size_t i : {1, 2}) {
    if (i >= clip.inputs.size() || clip.inputs[i].empty()) continue;
    const Tensor* bound = FloatInitializer(graph, clip, i);
    if (!bound || bound->size() != 1) return std::nullopt;
    bounds[i - 1] = bound->data<float>()[0];
  }
  return bounds;
}

// The activation `node` computes, when FusedConv can apply it.
std::optional<Activation> AsActivation(const Model& model, const Node& node) {
  const auto& fusable = ops::kFusedConvActivations;
  if (std::none_of(std::begin(fusable), std::end(fusable), [&](OpType op) { return IsOp(node, op); })) return std::nullopt;
  Activation activation{node.op_type, {}};
  if (IsOp(node, ops::kLeakyRelu)) activation.params = {node.GetFloat("alpha", 0.01f)};
  if (IsOp(node, ops::kHardSigmoid)) activation.params = {node.GetFloat("alpha", 0.2f), node.GetFloat("beta", 0.5f)};
  if (IsOp(node, ops::kClip)) {
    auto bounds = ClipBounds(model.graph, node, model.DefaultOpset());
    if (!bounds) return std::nullopt;
    activation.params = *bounds;
  }
  return activation;
}

// What follows a Conv's output: the nodes that compute one activation of it, all of its
// readers, and the activation's output.
struct Follower {
  std::vector<size_t> nodes;
  std::string output;
  Activation activation;
};

std::optional<Follower> ActivationAfter(const Model& model, const std::string& value,
                                        const std::map<std::string, const DecomposedOp*>& hard_swish_of) {
  const Graph& graph = model.graph;
  const std::vector<size_t> readers = Consumers(graph, value);
  if (readers.empty() || IsGraphOutput(graph, value)) return std::nullopt;
  if (readers.size() == 1) {
    const Node& reader = graph.nodes[readers[0]];
    if (auto activation = AsActivation(model, reader); activation && reader.inputs[0] == value)
      return Follower{readers, reader.outputs[0], *activation};
  }
  auto unit = hard_swish_of.find(value);
  if (unit == hard_swish_of.end()) return std::nullopt;
  const std::set<size_t> members(unit->second->nodes.begin(), unit->second->nodes.end());
  for (size_t r : readers)
    if (!members.count(r)) return std::nullopt;
  return Follower{unit->second->nodes, unit->second->output, {std::string(ops::kHardSwish.type), {}}};
}

}  // namespace

Result<PassReport> FuseConvActivations(Model& model) {
  PassReport report{"fuse Conv activations", {}};
  Graph& graph = model.graph;
  const std::vector<DecomposedOp> decomposed = FindDecomposedOps(model);
  std::map<std::string, const DecomposedOp*> hard_swish_of;  // input -> decomposed HardSwish
  for (const DecomposedOp& op : decomposed)
    if (op.op_type == ops::kHardSwish.type) hard_swish_of[op.input] = &op;
  std::vector<bool> removed(graph.nodes.size());
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    Node& conv = graph.nodes[i];
    if (removed[i] || !IsOp(conv, ops::kConv) || conv.outputs.empty() || !IsFloatValue(graph, conv.outputs[0])) continue;
    auto follower = ActivationAfter(model, conv.outputs[0], hard_swish_of);
    if (!follower) continue;
    report.changes.push_back(Message(conv.Describe(), " and its ", follower->activation.name, " (", follower->nodes.size(),
                                     follower->nodes.size() == 1 ? " node" : " nodes", ") fused into FusedConv"));
    SetOp(conv, ops::kFusedConv);
    conv.attributes["activation"] = Attribute::String(follower->activation.name);
    if (!follower->activation.params.empty()) conv.attributes["activation_params"] = Attribute::Floats(follower->activation.params);
    conv.outputs[0] = follower->output;
    for (size_t n : follower->nodes) removed[n] = true;
  }
  if (report.changes.empty()) return report;
  std::vector<Node> kept;
  for (size_t i = 0; i < graph.nodes.size(); ++i)
    if (!removed[i]) kept.push_back(std::move(graph.nodes[i]));
  graph.nodes = std::move(kept);
  ImportDomain(model, std::string(kMicrosoftDomain));
  QPLAY_RETURN_IF_ERROR(FinishRewrite(model));
  return report;
}

Result<std::vector<PassReport>> OptimizeForInference(Model& model) {
  auto fold_constants = [](Model& m) { return FoldConstants(m, /*keep_size=*/true); };  // int8 weights stay int8
  auto fuse_decomposed = [](Model& m) { return FuseDecomposedOps(m, FusedForms::kSession); };
  return RunPasses(model, {fold_constants, RemoveIdentities, FoldBatchNormalization, fuse_decomposed, FuseConvActivations,
                           FuseMatMulIntegerToFloat});
}

}  // namespace qplay
