#include "quant/static_quantizer.h"

#include "quant/backend.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <set>

#include "graph/shape_inference.h"
#include "kernels/quant_math.h"
#include "passes/graph_edit.h"
#include "passes/qdq_fusion.h"

namespace qplay {
namespace {

bool IsFloatValue(const Graph& graph, const std::string& name) {
  if (name.empty()) return false;
  auto init = graph.initializers.find(name);
  if (init != graph.initializers.end()) return init->second.dtype() == DataType::kFloat;
  const ValueType* t = graph.TypeOf(name);
  return t && t->dtype == DataType::kFloat;
}

// The weight axis that holds output channels, or -1 when the node has no quantizable weight.
int64_t WeightChannelAxis(const Graph& graph, const Node& node, const QuantizationBackend& backend) {
  if (!backend.weighted_ops.count(node.op_type) || node.inputs.size() < 2 || !graph.IsInitializer(node.inputs[1])) return -1;
  const Tensor& w = graph.initializers.at(node.inputs[1]);
  if (w.dtype() != DataType::kFloat) return -1;
  if (node.op_type == "Conv") return 0;
  if (node.op_type == "Gemm") return node.GetInt("transB", 0) ? 0 : 1;
  return w.rank() >= 2 ? w.rank() - 1 : -1;  // MatMul [.., K, N]: per output column
}

struct QuantizedWeight {
  Tensor values;                 // int8 / uint8
  std::vector<QParams> params;   // one per channel, or one
};

QuantizedWeight QuantizeWeight(const Tensor& w, int64_t axis, bool per_channel, DataType type, QuantRange range,
                               bool symmetric) {
  const int64_t channels = per_channel ? w.dim(axis) : 1;
  int64_t inner = 1;
  for (int64_t d = axis + 1; d < w.rank(); ++d) inner *= w.dim(d);
  auto channel_of = [&](int64_t i) { return per_channel ? (i / inner) % channels : 0; };
  std::vector<FloatRange> ranges(channels, FloatRange{std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()});
  for (int64_t i = 0; i < w.size(); ++i) {
    FloatRange& r = ranges[channel_of(i)];
    r.min = std::min(r.min, w.data<float>()[i]);
    r.max = std::max(r.max, w.data<float>()[i]);
  }
  QuantizedWeight q{Tensor(type, w.shape()), {}};
  for (const FloatRange& r : ranges) q.params.push_back(ComputeQParams(r.min, r.max, range, symmetric));
  for (int64_t i = 0; i < w.size(); ++i) {
    const QParams& p = q.params[channel_of(i)];
    const float level = std::clamp(std::nearbyint(w.data<float>()[i] / p.scale) + static_cast<float>(p.zero_point),
                                   static_cast<float>(range.qmin), static_cast<float>(range.qmax));
    if (type == DataType::kInt8) q.values.data<int8_t>()[i] = static_cast<int8_t>(level);
    else q.values.data<uint8_t>()[i] = static_cast<uint8_t>(level);
  }
  return q;
}

class QdqWriter {
 public:
  QdqWriter(Graph& graph, const QuantizationConfig& config) : graph_(graph), config_(config) {}

  // Adds scale / zero point initializers and a DequantizeLinear for constant `values`;
  // returns the dequantized value's name.
  std::string AddDequantized(const std::string& base, const Tensor& values, const std::vector<QParams>& params,
                             DataType zp_type, int64_t axis, bool with_zero_point, std::vector<Node>& nodes) {
    const std::string q_name = FreshName(graph_, base + "_quantized");
    graph_.initializers[q_name] = values;
    const std::string scale = AddParamsInitializers(base, params, zp_type, with_zero_point);
    Node dq = MakeNode("DequantizeLinear", base + "_DequantizeLinear", {q_name, scale}, base + "_dequantized");
    if (with_zero_point) dq.inputs.push_back(scale_to_zero_point_[scale]);
    if (params.size() > 1) SetInt(dq, "axis", axis);
    nodes.push_back(dq);
    return dq.outputs[0];
  }

  // QuantizeLinear -> DequantizeLinear on activation `name`; returns the dequantized name.
  std::string AddQdq(const std::string& name, const QParams& params, std::vector<Node>& nodes) {
    const std::string scale = AddParamsInitializers(name, {params}, config_.activation_type, true);
    const std::string zero_point = scale_to_zero_point_[scale];
    Node q = MakeNode("QuantizeLinear", name + "_QuantizeLinear", {name, scale, zero_point}, name + "_quantized");
    Node dq = MakeNode("DequantizeLinear", name + "_DequantizeLinear", {q.outputs[0], scale, zero_point}, name + "_dequantized");
    nodes.push_back(q);
    nodes.push_back(dq);
    return dq.outputs[0];
  }

 private:
  std::string AddParamsInitializers(const std::string& base, const std::vector<QParams>& params, DataType zp_type,
                                    bool with_zero_point) {
    const bool scalar = params.size() == 1;
    const Shape shape = scalar ? Shape{} : Shape{static_cast<int64_t>(params.size())};
    Tensor scale(DataType::kFloat, shape), zero_point(zp_type, shape);
    for (size_t c = 0; c < params.size(); ++c) {
      scale.data<float>()[c] = params[c].scale;
      VisitNumeric(zp_type, [&](auto tag) { zero_point.data<decltype(tag)>()[c] = static_cast<decltype(tag)>(params[c].zero_point); });
    }
    const std::string scale_name = FreshName(graph_, base + "_scale");
    graph_.initializers[scale_name] = scale;
    if (with_zero_point) {
      const std::string zp_name = FreshName(graph_, base + "_zero_point");
      graph_.initializers[zp_name] = zero_point;
      scale_to_zero_point_[scale_name] = zp_name;
    }
    return scale_name;
  }

  // ai.onnx QuantizeLinear takes 16-bit types only from opset 21; ONNX Runtime's
  // com.microsoft versions take them at any opset.
  bool UsesContribQdq() const {
    return config_.activation_type == DataType::kInt16 || config_.activation_type == DataType::kUint16;
  }

  Node MakeNode(const std::string& op, const std::string& name, std::vector<std::string> inputs, const std::string& output) {
    Node n;
    n.op_type = op;
    if (UsesContribQdq()) n.domain = "com.microsoft";
    n.name = FreshName(graph_, name);
    n.inputs = std::move(inputs);
    n.outputs = {FreshName(graph_, output)};
    graph_.value_types[n.outputs[0]] = ValueType{};  // reserve the name
    return n;
  }

  static void SetInt(Node& node, const std::string& name, int64_t value) {
    Attribute a;
    a.kind = Attribute::Kind::kInt;
    a.i = value;
    node.attributes[name] = a;
  }

  Graph& graph_;
  const QuantizationConfig& config_;
  std::map<std::string, std::string> scale_to_zero_point_;
};

// Output[0] names of the nodes that run quantized.
std::set<std::string> SelectQuantizedNodes(const Graph& graph, const QuantizationConfig& config,
                                           const QuantizationBackend& backend) {
  std::set<std::string> quantized;
  for (const Node& node : graph.nodes) {
    const bool supported = node.domain.empty() && backend.Quantizes(node.op_type);
    const bool selected = config.op_types_to_quantize.empty() || config.op_types_to_quantize.count(node.op_type);
    if (supported && selected && !config.nodes_to_exclude.count(node.name) && IsFloatValue(graph, node.inputs[0]))
      quantized.insert(node.outputs[0]);
  }
  return quantized;
}

// Float non-constant inputs and outputs of quantized nodes (weights and biases are constants).
std::set<std::string> ActivationsToCalibrate(const Graph& graph, const std::set<std::string>& quantized,
                                             const QuantizationBackend& backend) {
  std::set<std::string> activations;
  for (const Node& node : graph.nodes) {
    if (!quantized.count(node.outputs[0])) continue;
    const int64_t weight_axis = WeightChannelAxis(graph, node, backend);
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      if (weight_axis >= 0 && i >= 1) break;
      if (IsFloatValue(graph, node.inputs[i]) && !graph.IsInitializer(node.inputs[i])) activations.insert(node.inputs[i]);
    }
    for (const auto& out : node.outputs)
      if (IsFloatValue(graph, out) && !IsGraphOutput(graph, out)) activations.insert(out);
  }
  return activations;
}

// Parameters per calibrated activation, then the backend's rules: data-movement outputs take
// their input's, fixed output ranges, one set shared by Concat's inputs and output.
std::map<std::string, QParams> ActivationParams(const Graph& graph, const std::set<std::string>& quantized,
                                                const std::map<std::string, FloatRange>& ranges, QuantRange range,
                                                const QuantizationConfig& config, const QuantizationBackend& backend) {
  std::map<std::string, QParams> params;
  for (const auto& [name, r] : ranges) params[name] = ComputeQParams(r.min, r.max, range, config.activation_symmetric);
  for (const Node& node : graph.nodes) {
    if (!quantized.count(node.outputs[0])) continue;
    if (backend.shares_input_params.count(node.op_type) && params.count(node.inputs[0]))
      for (const auto& out : node.outputs)
        if (params.count(out)) params[out] = params[node.inputs[0]];
    auto fixed = backend.fixed_output_ranges.find(node.op_type);
    if (fixed != backend.fixed_output_ranges.end() && params.count(node.outputs[0]))
      params[node.outputs[0]] = ComputeQParams(fixed->second.first, fixed->second.second, range, false);
    if (backend.shared_inputs_and_output.count(node.op_type)) {
      std::vector<std::string> members(node.inputs.begin(), node.inputs.end());
      members.push_back(node.outputs[0]);
      FloatRange merged{0, 0};
      bool all = true;
      for (const auto& m : members) {
        auto r = ranges.find(m);
        all = all && r != ranges.end();
        if (r != ranges.end()) merged = {std::min(merged.min, r->second.min), std::max(merged.max, r->second.max)};
      }
      if (all)
        for (const auto& m : members) params[m] = ComputeQParams(merged.min, merged.max, range, config.activation_symmetric);
    }
  }
  return params;
}

// The range a Relu or Clip passes unchanged, or nullopt for other nodes and Clip bounds
// that are not constants.
std::optional<FloatRange> IdentityRange(const Graph& graph, const Node& node, int64_t opset) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  if (node.op_type == "Relu") return FloatRange{0.0f, kInf};
  if (node.op_type != "Clip") return std::nullopt;
  if (opset < 11) return FloatRange{node.GetFloat("min", -kInf), node.GetFloat("max", kInf)};
  FloatRange r{-kInf, kInf};
  for (size_t i : {1, 2}) {
    if (i >= node.inputs.size() || node.inputs[i].empty()) continue;
    auto bound = graph.initializers.find(node.inputs[i]);
    if (bound == graph.initializers.end() || bound->second.size() != 1) return std::nullopt;
    (i == 1 ? r.min : r.max) = static_cast<float>(bound->second.GetAsDouble(0));
  }
  return r;
}

// Relu/Clip nodes right after a quantized node whose output only they read, whose
// quantization can only represent values the activation passes unchanged: they are
// dropped, and the producer's output is quantized with their parameters (the
// QuantizeLinear clamps exactly as they would).
std::set<std::string> FusibleActivations(const Graph& graph, const std::set<std::string>& quantized,
                                         const std::map<std::string, QParams>& params, QuantRange range,
                                         int64_t opset, const QuantizationBackend& backend) {
  std::set<std::string> fused;
  if (!backend.fuse_relu) return fused;
  for (const Node& node : graph.nodes) {
    const auto identity = IdentityRange(graph, node, opset);
    if (!identity || !quantized.count(node.outputs[0]) || !params.count(node.outputs[0])) continue;
    const QParams& p = params.at(node.outputs[0]);
    const float lo = static_cast<float>(range.qmin - p.zero_point) * p.scale;
    const float hi = static_cast<float>(range.qmax - p.zero_point) * p.scale;
    if (lo < identity->min - p.scale / 2 || hi > identity->max + p.scale / 2) continue;
    if (Consumers(graph, node.inputs[0]).size() != 1 || IsGraphOutput(graph, node.inputs[0])) continue;
    auto producer = std::find_if(graph.nodes.begin(), graph.nodes.end(), [&](const Node& n) { return n.outputs[0] == node.inputs[0]; });
    if (producer == graph.nodes.end() || !quantized.count(producer->outputs[0]) ||
        backend.shares_input_params.count(producer->op_type))
      continue;
    fused.insert(node.outputs[0]);
  }
  return fused;
}

}  // namespace

Result<QuantizationResult> QuantizeStatic(const Model& input, const QuantizationConfig& config,
                                          const SampleSet& calibration, const ProgressFn& progress) {
  QPLAY_RETURN_IF_ERROR(config.Validate());
  const QuantizationBackend backend = FindBackend(config.backend).value();
  QuantizationResult result{input, {}, {}, {}};
  Model& model = result.model;
  auto passes = PrepareForQuantization(model);
  if (!passes.ok()) return passes.status();
  result.passes = std::move(passes.value());
  const int64_t opset = model.DefaultOpset();
  if (opset < (config.per_channel ? 13 : 10))
    return Fail(StatusCode::kUnsupported, config.per_channel ? "per-channel" : "QDQ", " quantization needs ai.onnx opset ",
                config.per_channel ? 13 : 10, " or later; the model imports opset ", opset);
  Graph& graph = model.graph;

  const std::set<std::string> quantized = SelectQuantizedNodes(graph, config, backend);
  const std::set<std::string> activations = ActivationsToCalibrate(graph, quantized, backend);
  CalibrationOptions calibration_options;
  calibration_options.observer.method = config.calibrate_method;
  calibration_options.observer.symmetric = config.activation_symmetric;
  calibration_options.observer.percentile = config.percentile;
  calibration_options.limit = config.calibration_limit;
  auto ranges = Calibrate(model, {activations.begin(), activations.end()}, calibration, calibration_options, progress);
  if (!ranges.ok()) return ranges.status();

  auto activation_range = RangeFor(config.activation_type, config.activation_symmetric, false);
  if (!activation_range.ok()) return activation_range.status();
  auto weight_range = RangeFor(config.weight_type, config.weight_symmetric, config.reduce_range);
  if (!weight_range.ok()) return weight_range.status();
  std::map<std::string, QParams>& params = result.activations;
  params = ActivationParams(graph, quantized, *ranges, *activation_range, config, backend);
  for (const auto& [name, o] : config.tensor_overrides) {
    if (!params.count(name))
      return Fail(StatusCode::kInvalidArgument, "TensorQuantOverrides names '", name, "', which is not a quantized activation");
    params[name] = o.scale ? QParams{*o.scale, *o.zero_point}
                           : ComputeQParams(*o.rmin, *o.rmax, *activation_range, config.activation_symmetric);
    if (params[name].zero_point < activation_range->qmin || params[name].zero_point > activation_range->qmax)
      return Fail(StatusCode::kInvalidArgument, "TensorQuantOverrides for '", name, "': zero point ", params[name].zero_point,
                  " is outside ", activation_range->qmin, "..", activation_range->qmax);
  }

  const std::set<std::string> fused = FusibleActivations(graph, quantized, params, *activation_range, opset, backend);

  // Rewrite the graph: Q/DQ after every calibrated activation, DequantizeLinear before weights and biases.
  QdqWriter writer(graph, config);
  std::vector<Node> nodes;
  std::map<std::string, std::string> dequantized;  // float activation -> its QDQ output
  auto quantize_activation = [&](const std::string& name) {
    if (params.count(name) && !dequantized.count(name)) dequantized[name] = writer.AddQdq(name, params[name], nodes);
  };
  for (const auto& name : graph.inputs) quantize_activation(name);
  std::map<std::string, std::string> renamed;  // fused activation's input -> its output
  for (const Node& node : graph.nodes)
    if (fused.count(node.outputs[0])) renamed[node.inputs[0]] = node.outputs[0];
  for (Node node : std::vector<Node>(graph.nodes)) {
    if (fused.count(node.outputs[0])) continue;
    const int64_t axis = quantized.count(node.outputs[0]) ? WeightChannelAxis(graph, node, backend) : -1;
    const bool per_channel = config.per_channel && !backend.per_tensor_ops.count(node.op_type);
    const std::string original_input = node.inputs[0];
    for (auto& in : node.inputs)
      if (dequantized.count(in)) in = dequantized[in];
    if (axis >= 0) {
      const Tensor& w = graph.initializers.at(node.inputs[1]);
      QuantizedWeight qw = QuantizeWeight(w, axis, per_channel, config.weight_type, *weight_range, config.weight_symmetric);
      const std::string weight_name = node.inputs[1];
      node.inputs[1] = writer.AddDequantized(weight_name, qw.values, qw.params, config.weight_type, axis, true, nodes);
      const bool has_bias = node.inputs.size() > 2 && graph.IsInitializer(node.inputs[2]) && node.op_type != "MatMul";
      if (has_bias && params.count(original_input)) {
        const Tensor& bias = graph.initializers.at(node.inputs[2]);
        const float input_scale = params[original_input].scale;
        std::vector<QParams> bias_params;
        Tensor q(DataType::kInt32, bias.shape());
        for (int64_t c = 0; c < bias.size(); ++c) {
          const float scale = input_scale * qw.params[qw.params.size() == 1 ? 0 : c].scale;
          if (qw.params.size() > 1 || c == 0) bias_params.push_back({scale, 0});
          const double level = std::nearbyint(static_cast<double>(bias.data<float>()[c]) / scale);
          q.data<int32_t>()[c] = static_cast<int32_t>(std::clamp(level, -2147483647.0, 2147483647.0));
        }
        node.inputs[2] = writer.AddDequantized(node.inputs[2], q, bias_params, DataType::kInt32, 0, false, nodes);
      }
      result.quantized_nodes.push_back(node.name);
    } else if (quantized.count(node.outputs[0])) {
      result.quantized_nodes.push_back(node.name);
    }
    for (auto& out : node.outputs)
      if (renamed.count(out)) out = renamed[out];
    nodes.push_back(node);
    for (const auto& out : node.outputs) quantize_activation(out);
  }
  graph.nodes = std::move(nodes);
  if (config.activation_type == DataType::kInt16 || config.activation_type == DataType::kUint16) model.opsets["com.microsoft"] = 1;
  for (auto& [name, type] : std::map<std::string, ValueType>(graph.value_types))
    if (type.dtype == DataType::kUndefined && !type.shape) graph.value_types.erase(name);
  RemoveUnusedInitializers(graph);
  QPLAY_RETURN_IF_ERROR(TopologicalSort(graph));
  if (config.format == QuantFormat::kQOperator) {
    auto converted = FuseQdqGroups(model);
    if (!converted.ok()) return converted.status();
  }
  InferShapes(model);
  return result;
}

}  // namespace qplay
