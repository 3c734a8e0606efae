#include "quant/layer_plan.h"

#include <nlohmann/json.hpp>
#include <set>

#include "passes/decomposed_ops.h"
#include "quant/quantizer.h"

namespace qplay {
namespace {

std::set<std::string> NodeNames(const Graph& graph) {
  std::set<std::string> names;
  for (const Node& node : graph.nodes) names.insert(node.name);
  return names;
}

// [0, 1] everywhere: a Relu or Clip(0, 6) output is then fused into its producer exactly as
// with any calibrated range (which always starts at 0 for them).
Result<QuantizationResult> QuantizeWithPlaceholderRanges(const Model& model, const Graph& prepared, const QuantizationConfig& config) {
  std::map<std::string, FloatRange> ranges;
  for (const std::string& input : prepared.inputs) ranges[input] = {0, 1};
  for (const Node& node : prepared.nodes)
    for (const std::string& output : node.outputs) ranges[output] = {0, 1};
  return QuantizeStaticWithRanges(model, config, ranges);
}

}  // namespace

Result<std::vector<LayerPlan>> PlanLayers(const Model& model, const QuantizationConfig& requested) {
  QuantizationConfig config = requested;
  config.smooth_quant = config.bias_correction = false;  // both measure samples; neither changes which nodes
  auto prepared = StartQuantization(model, config);
  if (!prepared.ok()) return prepared.status();
  auto quantized = config.mode == QuantMode::kStatic ? QuantizeWithPlaceholderRanges(model, prepared->model.graph, config)
                                                     : Quantize(model, config, {});
  if (!quantized.ok()) return quantized.status();
  const std::set<std::string> quantized_nodes(quantized->quantized_nodes.begin(), quantized->quantized_nodes.end());
  const std::set<std::string> after_passes = NodeNames(prepared->model.graph), written = NodeNames(quantized->model.graph);
  std::vector<std::string> units(model.graph.nodes.size());
  for (const DecomposedOp& op : FindDecomposedOps(model))
    for (size_t i : op.nodes) units[i] = op.op_type;
  std::vector<LayerPlan> plan;
  for (size_t i = 0; i < model.graph.nodes.size(); ++i) {
    const Node& node = model.graph.nodes[i];
    LayerFate fate = LayerFate::kFloat;
    if (!after_passes.count(node.name)) fate = LayerFate::kFolded;
    else if (quantized_nodes.count(node.name) || !written.count(node.name)) fate = LayerFate::kQuantized;
    plan.push_back({node.name, node.op_type, node.outputs, fate, units[i]});
  }
  return plan;
}

std::string LayerPlanToJson(const std::vector<LayerPlan>& plan) {
  nlohmann::json out = nlohmann::json::array();
  for (const LayerPlan& layer : plan) {
    const char* fate = layer.fate == LayerFate::kQuantized ? "quantized" : layer.fate == LayerFate::kFolded ? "folded" : "float";
    out.push_back({{"node", layer.node}, {"op_type", layer.op_type}, {"outputs", layer.outputs}, {"fate", fate}, {"unit", layer.unit}});
  }
  return out.dump();
}

}  // namespace qplay
