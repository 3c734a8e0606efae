#include "quant/static_quantizer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "kernels/kernel.h"
#include "ops/conv.h"
#include "ops/elementwise.h"
#include "ops/schema.h"
#include "passes/cross_layer_equalization.h"
#include "passes/decomposed_ops.h"
#include "passes/graph_edit.h"
#include "passes/opset_upgrade.h"
#include "passes/qdq_fusion.h"
#include "quant/activation_plan.h"
#include "quant/backend.h"
#include "quant/bias_correction.h"
#include "quant/smooth_quant.h"
#include "quant/qdq_writer.h"
#include "runtime/session.h"

namespace qplay {
namespace {

// How a node's weight is stored: the config's type, symmetry and granularity, or the
// weight's TensorQuantOverrides (type, symmetry, per-channel axis, fixed parameters).
struct WeightRecipe {
  TensorFormat format;
  int64_t axis = -1;  // per-channel axis, -1 for per tensor
  std::optional<QParams> fixed;
};

Result<WeightRecipe> RecipeForWeight(const std::string& name, const Tensor& w, int64_t channel_axis, bool per_channel,
                                     const QuantizationConfig& config) {
  auto found = config.tensor_overrides.find(name);
  const TensorOverride* o = found == config.tensor_overrides.end() ? nullptr : &found->second;
  const std::string where = "TensorQuantOverrides for weight '" + name + "'";
  const DataType type = o && o->quant_type ? *o->quant_type : config.weight_type;
  if (type != DataType::kInt8 && type != DataType::kUint8 && !IsFourBit(type))
    return Fail(StatusCode::kInvalidArgument, where, ": weights are stored as int8, uint8, int4 or uint4, not ", DataTypeName(type));
  auto format = FormatFor(type, o && o->symmetric ? *o->symmetric : config.weight_symmetric, config.reduce_range);
  if (!format.ok()) return format.status();
  WeightRecipe recipe{*format, per_channel ? channel_axis : -1, std::nullopt};
  if (o && o->axis) {
    recipe.axis = *o->axis;
    if (!NormalizeAxis(recipe.axis, w.rank()))
      return Fail(StatusCode::kInvalidArgument, where, ": axis ", *o->axis, " is out of range for its shape ", ShapeToString(w.shape()));
  }
  if (o && (o->scale || o->rmin)) {
    recipe.axis = -1;
    recipe.fixed = o->scale ? QParams{*o->scale, *o->zero_point}
                            : ComputeQParams(*o->rmin, *o->rmax, recipe.format.range, recipe.format.symmetric);
    if (recipe.fixed->zero_point < recipe.format.range.qmin || recipe.fixed->zero_point > recipe.format.range.qmax)
      return Fail(StatusCode::kInvalidArgument, where, ": zero point ", recipe.fixed->zero_point, " is outside ",
                  recipe.format.range.qmin, "..", recipe.format.range.qmax);
  }
  return recipe;
}

// The largest |level| given to an int32 bias: int32's range less a margin for the float
// rounding of its scale.
constexpr double kBiasLevelLimit = 2147483647.0 / 1.0001;

// int32 bias at scale input_scale x weight_scale (per output channel when the weight is).
QuantizedConstant QuantizeBias(const Tensor& bias, float input_scale, const std::vector<QParams>& weight_params) {
  QuantizedConstant q{Tensor(DataType::kInt32, bias.shape()), {}};
  for (int64_t c = 0; c < bias.size(); ++c) {
    const float scale = input_scale * weight_params[weight_params.size() == 1 ? 0 : c].scale;
    if (weight_params.size() > 1 || c == 0) q.params.push_back({scale, 0});
    // A NaN bias (a batch norm with a negative variance folded into it) becomes 0, not undefined behaviour.
    const double level = std::nearbyint(static_cast<double>(bias.data<float>()[c]) / scale);
    q.values.data<int32_t>()[c] = SaturatingCast<int32_t>(std::max(level, -2147483647.0));
  }
  return q;
}

// When a tiny input scale would push a bias past int32 at scale input_scale x weight_scale,
// widens that channel's weight scale until the bias fits (ONNX Runtime's quantizer does the
// same): the bias stays exact and the weight, small beside it, loses precision instead.
// Returns how many weight scales it widened.
int64_t WidenWeightScalesForBias(const Tensor& bias, float input_scale, std::vector<QParams>& weight_params) {
  std::vector<bool> widened(weight_params.size());
  for (int64_t c = 0; c < bias.size(); ++c) {
    const size_t channel = weight_params.size() == 1 ? 0 : c;
    const double needed = std::abs(static_cast<double>(bias.data<float>()[c])) / kBiasLevelLimit / input_scale;
    if (needed <= weight_params[channel].scale) continue;
    weight_params[channel].scale = std::nextafter(static_cast<float>(needed), std::numeric_limits<float>::infinity());
    widened[channel] = true;
  }
  return std::count(widened.begin(), widened.end(), true);
}

// Output[0] names of the nodes that run quantized. The nodes of a decomposed op stay float
// together, so that it is quantized only at its boundaries.
std::set<std::string> SelectQuantizedNodes(const Graph& graph, const std::vector<DecomposedOp>& decomposed,
                                           const QuantizationConfig& config, const QuantizationBackend& backend) {
  std::vector<bool> in_unit(graph.nodes.size());
  for (const DecomposedOp& op : decomposed)
    for (size_t i : op.nodes) in_unit[i] = true;
  std::set<std::string> quantized;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    const bool supported = node.domain.empty() && backend.Quantizes(node.op_type) && !in_unit[i];
    const bool selected = config.op_types_to_quantize.empty() || config.op_types_to_quantize.count(node.op_type);
    const bool reads_activation = std::any_of(node.inputs.begin(), node.inputs.end(), [&](const std::string& in) {
      return IsFloatValue(graph, in) && !graph.IsInitializer(in);
    });
    if (supported && selected && !config.nodes_to_exclude.count(node.name) && reads_activation) quantized.insert(node.outputs[0]);
  }
  return quantized;
}

// Float non-constant inputs and outputs of quantized nodes (weights and biases are constants).
std::set<std::string> ActivationsToCalibrate(const Graph& graph, const std::set<std::string>& quantized,
                                             const QuantizationBackend& backend) {
  std::set<std::string> activations;
  for (const Node& node : graph.nodes) {
    if (!quantized.count(node.outputs[0])) continue;
    // A weighted op's other inputs are constants; a data-movement op's (Resize's scales, Pad's
    // value) are not data.
    const bool data_input_only = WeightChannelAxis(graph, node, backend) >= 0 || backend.shares_input_params.count(node.op_type);
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      if (data_input_only && i >= 1) break;
      if (IsFloatValue(graph, node.inputs[i]) && !graph.IsInitializer(node.inputs[i])) activations.insert(node.inputs[i]);
    }
    for (const auto& out : node.outputs)
      if (IsFloatValue(graph, out) && !IsGraphOutput(graph, out)) activations.insert(out);
  }
  return activations;
}

// The whole flow; activation ranges come from `calibration` or, when given, `known_ranges`.
Result<QuantizationResult> Quantize(const Model& input, const QuantizationConfig& config, const SampleSet& calibration,
                                    const ProgressFn& progress, const std::map<std::string, FloatRange>* known_ranges) {
  auto started = StartQuantization(input, config, &calibration);
  if (!started.ok()) return started.status();
  QuantizationResult result = std::move(started.value());
  Model& model = result.model;
  const QuantizationBackend backend = FindBackend(config.backend).value();
  const int64_t opset = model.DefaultOpset();
  if (opset < (config.per_channel ? 13 : 10))
    return Fail(StatusCode::kUnsupported, config.per_channel ? "per-channel" : "QDQ", " quantization needs ai.onnx opset ",
                config.per_channel ? 13 : 10, " or later; the model imports opset ", opset);
  Graph& graph = model.graph;

  const std::vector<DecomposedOp> decomposed = FindDecomposedOps(model);
  for (const DecomposedOp& op : decomposed)
    result.notes.push_back({QuantizationNote::Kind::kUnit, op.output, graph.nodes[op.nodes.back()].name,
                            Message(op.nodes.size(), " nodes from ", graph.nodes[op.nodes.front()].Describe(), " compute ",
                                    op.op_type, ": kept float as one unit, quantized only at its boundaries")});
  const std::set<std::string> quantized = SelectQuantizedNodes(graph, decomposed, config, backend);
  const std::set<std::string> activations = ActivationsToCalibrate(graph, quantized, backend);
  CalibrationOptions calibration_options;
  calibration_options.observer.method = config.calibrate_method;
  calibration_options.observer.symmetric = config.activation_symmetric;
  calibration_options.observer.percentile = config.percentile;
  calibration_options.limit = config.calibration_limit;
  Result<std::map<std::string, FloatRange>> ranges = std::map<std::string, FloatRange>{};
  if (known_ranges) {
    for (const auto& name : activations) {
      auto r = known_ranges->find(name);
      if (r == known_ranges->end())
        return Fail(StatusCode::kInvalidArgument, "no calibrated range for activation '", name, "'; calibrate with the same model");
      (*ranges)[name] = r->second;
    }
  } else {
    ranges = Calibrate(model, {activations.begin(), activations.end()}, calibration, calibration_options, progress);
  }
  if (!ranges.ok()) return ranges.status();
  for (auto& [name, range] : *ranges)
    if (range.max - range.min < config.minimum_real_range) {
      result.notes.push_back({QuantizationNote::Kind::kAdjusted, name, "", Message("range [", range.min, ", ", range.max, "] widened to MinimumRealRange ",
                                                config.minimum_real_range)});
      range.max = range.min + static_cast<float>(config.minimum_real_range);
    }
  result.ranges = *ranges;

  auto plan = PlanActivations(graph, quantized, *ranges, config, backend);
  if (!plan.ok()) return plan.status();
  result.activations = plan->params;
  const std::map<std::string, QParams>& params = plan->params;
  std::set<std::string> weights;  // names of the constant weights of quantized nodes
  for (const Node& node : graph.nodes)
    if (quantized.count(node.outputs[0]) && WeightChannelAxis(graph, node, backend) >= 0) weights.insert(node.inputs[1]);
  for (const auto& [name, _] : config.tensor_overrides)
    if (!params.count(name) && !weights.count(name))
      return Fail(StatusCode::kInvalidArgument, "TensorQuantOverrides names '", name,
                  "', which is neither a quantized activation nor a quantized weight");

  const std::set<std::string> fused = FusibleActivations(graph, quantized, *plan, opset, backend);

  // Rewrite the graph: Q/DQ after every calibrated activation, DequantizeLinear before weights and biases.
  QdqWriter writer(graph, opset);
  std::vector<Node> nodes;
  std::map<std::string, std::string> dequantized;  // float activation -> its QDQ output
  auto quantize_activation = [&](const std::string& name) {
    if (params.count(name) && !dequantized.count(name))
      dequantized[name] = writer.AddQdq(name, params.at(name), plan->formats.at(name).type, nodes);
  };
  for (const auto& name : graph.inputs) quantize_activation(name);
  std::map<std::string, std::string> renamed;  // fused activation's input -> its output
  for (const Node& node : graph.nodes)
    if (fused.count(node.outputs[0])) renamed[node.inputs[0]] = node.outputs[0];
  for (Node node : std::vector<Node>(graph.nodes)) {
    if (fused.count(node.outputs[0])) continue;
    const int64_t axis = quantized.count(node.outputs[0]) ? WeightChannelAxis(graph, node, backend) : -1;
    // A grouped ConvTranspose's axis 1 holds C_out / group channels, not one per bias element.
    const bool grouped_transpose = IsOp(node, ops::kConvTranspose) && node.GetInt("group", 1) != 1;
    const bool per_channel = config.per_channel && !backend.per_tensor_ops.count(node.op_type) && !grouped_transpose;
    const std::string original_input = node.inputs[0];
    for (auto& in : node.inputs)
      if (dequantized.count(in)) in = dequantized[in];
    if (axis >= 0) {
      const std::string weight_name = node.inputs[1];
      const Tensor& w = graph.initializers.at(weight_name);
      auto recipe = RecipeForWeight(weight_name, w, axis, per_channel, config);
      if (!recipe.ok()) return recipe.status();
      if (recipe->axis >= 0 && opset < 13)
        return Fail(StatusCode::kUnsupported, "per-channel weights need ai.onnx opset 13 or later; the model imports opset ", opset);
      std::vector<QParams> weight_params =
          recipe->fixed ? std::vector<QParams>{*recipe->fixed} : ParamsFromRange(w, recipe->axis, recipe->format);
      // A bias matches the weight's channels only when those are the output channels.
      const int64_t bias_input = SchemaRegistry::Get().Latest(node.domain, node.op_type)->quant().bias_input;
      const bool has_bias = bias_input >= 0 && static_cast<int64_t>(node.inputs.size()) > bias_input &&
                            graph.IsInitializer(node.inputs[bias_input]) &&
                            (weight_params.size() == 1 || recipe->axis == axis) && params.count(original_input);
      const std::string bias_name = has_bias ? node.inputs[bias_input] : "";
      const float input_scale = has_bias ? params.at(original_input).scale : 0;
      if (has_bias && !recipe->fixed) {
        const int64_t widened = WidenWeightScalesForBias(graph.initializers.at(bias_name), input_scale, weight_params);
        if (widened)
          result.notes.push_back({QuantizationNote::Kind::kAdjusted, weight_name, node.name,
                                  Message("widened ", widened, " of ", weight_params.size(), " weight scales so that bias '",
                                          bias_name, "' fits int32 at the input's scale ", input_scale)});
      }
      QuantizedConstant qw = QuantizeConstant(w, recipe->axis, recipe->format, std::move(weight_params));
      node.inputs[1] = writer.AddDequantized(weight_name, qw, recipe->axis, true, nodes);
      if (has_bias) {
        QuantizedConstant qb = QuantizeBias(graph.initializers.at(bias_name), input_scale, qw.params);
        node.inputs[bias_input] = writer.AddDequantized(bias_name, qb, 0, false, nodes);
      }
      result.quantized_nodes.push_back(node.name);
    } else if (quantized.count(node.outputs[0])) {
      if (backend.quantize_constant_operands && IsAnyOp(node, ops::kAdd, ops::kMul))
        for (auto& in : node.inputs)
          if (graph.IsInitializer(in) && IsFloatValue(graph, in)) {
            auto output_format = plan->formats.find(node.outputs[0]);
            const TensorFormat format = output_format != plan->formats.end()
                                            ? output_format->second
                                            : FormatFor(config.activation_type, config.activation_symmetric, false).value();
            in = writer.AddDequantized(in, QuantizeConstant(graph.initializers.at(in), -1, format), 0, true, nodes);
          }
      result.quantized_nodes.push_back(node.name);
    }
    for (auto& out : node.outputs)
      if (renamed.count(out)) out = renamed[out];
    nodes.push_back(node);
    for (const auto& out : node.outputs) quantize_activation(out);
  }
  graph.nodes = std::move(nodes);
  if (writer.used_contrib_domain()) model.opsets["com.microsoft"] = 1;
  if (config.format == QuantFormat::kQOperator) {
    QPLAY_RETURN_IF_ERROR(TopologicalSort(graph));
    auto converted = FuseQdqGroups(model);
    if (!converted.ok()) return converted.status();
  }
  QPLAY_RETURN_IF_ERROR(FinishRewrite(model));
  return result;
}

}  // namespace

const char* NoteKindName(QuantizationNote::Kind kind) {
  switch (kind) {
    case QuantizationNote::Kind::kAdjusted: return "adjusted";
    case QuantizationNote::Kind::kUnit: return "unit";
    case QuantizationNote::Kind::kWarning: return "warning";
  }
  return "";
}

int64_t WeightChannelAxis(const Graph& graph, const Node& node, const QuantizationBackend& backend) {
  if (!backend.weighted_ops.count(node.op_type)) return -1;
  const OpSchema* schema = SchemaRegistry::Get().Latest(node.domain, node.op_type);
  if (!schema || schema->quant().weight_input != 1 || node.inputs.size() < 2 || !graph.IsInitializer(node.inputs[1])) return -1;
  const Tensor& w = graph.initializers.at(node.inputs[1]);
  if (w.dtype() != DataType::kFloat) return -1;
  return schema->quant().weight_channel_axis(node, w.shape());
}

namespace {

// A warning for each entry of nodes_to_exclude and op_types_to_quantize that matches no node
// (a typo there would otherwise quantize everything, or nothing, without a word).
std::vector<QuantizationNote> UnmatchedSelections(const Graph& graph, const QuantizationConfig& config) {
  std::set<std::string> names, op_types;
  for (const Node& node : graph.nodes) names.insert(node.name), op_types.insert(node.op_type);
  std::vector<QuantizationNote> notes;
  for (const auto& name : config.nodes_to_exclude)
    if (!names.count(name))
      notes.push_back({QuantizationNote::Kind::kWarning, "", name, "nodes_to_exclude names '" + name + "', which is no node of the model"});
  for (const auto& op : config.op_types_to_quantize)
    if (!op_types.count(op))
      notes.push_back({QuantizationNote::Kind::kWarning, "", "", "op_types_to_quantize names '" + op + "', which no node of the model is"});
  return notes;
}

}  // namespace

Result<QuantizationResult> StartQuantization(const Model& model, const QuantizationConfig& config, const SampleSet* calibration) {
  QPLAY_RETURN_IF_ERROR(config.Validate());
  // Quantizing runs the model (calibration, checks): refused up front, before any pass walks a
  // node the loader could not check.
  if (const auto problems = UnsupportedNodes(model); !problems.empty())
    return Fail(StatusCode::kUnsupported, "cannot quantize: ", problems.front(),
                problems.size() > 1 ? Message(" (and ", problems.size() - 1, " more problems)") : "");
  QuantizationResult result{model, {}, {}, {}, {}, UnmatchedSelections(model.graph, config)};
  if (const int64_t opset = model.DefaultOpset(), required = config.RequiredOpset(); opset < required) {
    if (!config.upgrade_opset)
      return Fail(StatusCode::kUnsupported, "this recipe needs ai.onnx opset ", required, "; the model imports opset ", opset,
                  " (upgrade_opset is off)");
    auto upgrade = UpgradeOpset(result.model, required, /*float32_weights_ok=*/true);
    if (!upgrade.ok()) return upgrade.status().WithContext(Message("upgrading to opset ", required, " for this recipe"));
    result.passes.push_back({kOpsetUpgradePass, {Message("ai.onnx opset ", opset, " -> ", required, ": ", upgrade->adapted_nodes,
                                                       " nodes rewritten by the converter's adapters")}});
  }
  auto passes = PrepareForQuantization(result.model);
  if (!passes.ok()) return passes.status();
  result.passes.insert(result.passes.end(), passes->begin(), passes->end());
  if (config.cross_layer_equalization) {
    auto equalized = EqualizeCrossLayer(result.model);
    if (!equalized.ok()) return equalized.status();
    result.passes.push_back(std::move(equalized.value()));
  }
  if (config.smooth_quant) {
    if (!calibration || calibration->empty())
      return Fail(StatusCode::kInvalidArgument, "SmoothQuant measures activations on calibration samples; none were given");
    auto smoothed = SmoothActivations(result.model, *calibration, config.smooth_quant_alpha, config.calibration_limit);
    if (!smoothed.ok()) return smoothed.status();
    result.passes.push_back(std::move(smoothed.value()));
  }
  return result;
}

Result<QuantizationResult> QuantizeStatic(const Model& model, const QuantizationConfig& config, const SampleSet& calibration,
                                          const ProgressFn& progress) {
  if (!config.bias_correction) return Quantize(model, config, calibration, progress, nullptr);
  // Quantize, measure each layer's output shift against float, correct the float biases, and
  // quantize again with the same ranges.
  QuantizationConfig plain = config;
  plain.bias_correction = false;
  auto first = Quantize(model, plain, calibration, progress, nullptr);
  if (!first.ok()) return first.status();
  auto prepared = StartQuantization(model, plain, &calibration);
  if (!prepared.ok()) return prepared.status();
  auto corrected = CorrectBiases(prepared->model, first->model, calibration, config.calibration_limit);
  if (!corrected.ok()) return corrected.status();
  QuantizationConfig transformed = plain;  // the prepared model is already equalized and smoothed
  transformed.cross_layer_equalization = transformed.smooth_quant = false;
  auto second = Quantize(prepared->model, transformed, {}, {}, &first->ranges);
  if (!second.ok()) return second.status();
  second->passes = std::move(first->passes);
  second->passes.push_back(std::move(corrected.value()));
  return second;
}

Result<QuantizationResult> QuantizeStaticWithRanges(const Model& model, const QuantizationConfig& config,
                                                    const std::map<std::string, FloatRange>& ranges) {
  return Quantize(model, config, {}, {}, &ranges);
}

}  // namespace qplay
