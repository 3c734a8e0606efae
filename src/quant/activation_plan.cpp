#include "quant/activation_plan.h"

#include <algorithm>
#include <optional>

#include "ops/schema.h"
#include "passes/graph_edit.h"

namespace qplay {
namespace {

// The range a clamping op (Relu, Clip) passes unchanged, or nullopt for other nodes and
// bounds that are not constants.
std::optional<FloatRange> IdentityRange(const Graph& graph, const Node& node, int64_t opset) {
  auto range = ClampRange(node, opset, [&](const std::string& name) -> const Tensor* {
    auto it = graph.initializers.find(name);
    return it == graph.initializers.end() ? nullptr : &it->second;
  });
  if (!range) return std::nullopt;
  return FloatRange{range->first, range->second};
}

class Planner {
 public:
  Planner(const QuantizationConfig& config, TensorFormat base) : config_(config), base_(base) {}

  Status SetOverriddenFormats(const std::map<std::string, FloatRange>& ranges) {
    for (const auto& [name, o] : config_.tensor_overrides) {
      if (!ranges.count(name) || (!o.quant_type && !o.symmetric)) continue;
      auto format = FormatFor(o.quant_type.value_or(config_.activation_type), o.symmetric.value_or(config_.activation_symmetric), false);
      if (!format.ok()) return format.status().WithContext("TensorQuantOverrides for '" + name + "'");
      plan_.formats[name] = *format;
    }
    return Status::Ok();
  }

  const TensorFormat& Format(const std::string& name) { return plan_.formats.emplace(name, base_).first->second; }

  QParams Compute(const std::string& name, float lo, float hi) {
    const TensorFormat& f = Format(name);
    return ComputeQParams(lo, hi, f.range, f.symmetric);
  }

  // The user's fixed parameters or range for `name`, if any.
  std::optional<QParams> Fixed(const std::string& name) {
    auto o = config_.tensor_overrides.find(name);
    if (o == config_.tensor_overrides.end()) return std::nullopt;
    if (o->second.scale) return QParams{*o->second.scale, *o->second.zero_point};
    if (o->second.rmin) return Compute(name, *o->second.rmin, *o->second.rmax);
    return std::nullopt;
  }

  ActivationPlan& plan() { return plan_; }

 private:
  const QuantizationConfig& config_;
  const TensorFormat base_;
  ActivationPlan plan_;
};

}  // namespace

Result<ActivationPlan> PlanActivations(const Graph& graph, const std::set<std::string>& quantized,
                                       const std::map<std::string, FloatRange>& ranges, const QuantizationConfig& config,
                                       const QuantizationBackend& backend) {
  auto base = FormatFor(config.activation_type, config.activation_symmetric, false);
  if (!base.ok()) return base.status();
  Planner planner(config, *base);
  QPLAY_RETURN_IF_ERROR(planner.SetOverriddenFormats(ranges));
  auto& params = planner.plan().params;
  auto& formats = planner.plan().formats;
  for (const auto& [name, r] : ranges) params[name] = planner.Fixed(name).value_or(planner.Compute(name, r.min, r.max));

  for (const Node& node : graph.nodes) {
    if (!quantized.count(node.outputs[0])) continue;
    if (backend.SharesInputParams(graph, node) && params.count(node.inputs[0]))
      for (const auto& out : node.outputs)
        if (params.count(out)) {
          params[out] = params[node.inputs[0]];
          formats[out] = planner.Format(node.inputs[0]);
        }
    auto fixed = backend.fixed_output_ranges.find(node.op_type);
    if (fixed != backend.fixed_output_ranges.end() && params.count(node.outputs[0])) {
      const TensorFormat& f = planner.Format(node.outputs[0]);
      params[node.outputs[0]] = ComputeQParams(fixed->second.first, fixed->second.second, f.range, false);
    }
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
      if (!all) continue;
      const TensorFormat shared = planner.Format(node.outputs[0]);
      for (const auto& m : members) {
        formats[m] = shared;
        params[m] = planner.Compute(m, merged.min, merged.max);
      }
    }
  }

  for (const auto& [name, o] : config.tensor_overrides) {
    if (!params.count(name)) continue;
    if (o.axis) return Fail(StatusCode::kInvalidArgument, "TensorQuantOverrides for '", name, "': axis applies to weights, and '", name, "' is an activation");
    if (auto fixed = planner.Fixed(name)) params[name] = *fixed;
    const QuantRange& range = planner.Format(name).range;
    if (params[name].zero_point < range.qmin || params[name].zero_point > range.qmax)
      return Fail(StatusCode::kInvalidArgument, "TensorQuantOverrides for '", name, "': zero point ", params[name].zero_point,
                  " is outside ", range.qmin, "..", range.qmax);
  }
  return std::move(planner.plan());
}

std::set<std::string> FusibleActivations(const Graph& graph, const std::set<std::string>& quantized,
                                         const ActivationPlan& plan, int64_t opset, const QuantizationBackend& backend) {
  std::set<std::string> fused;
  if (!backend.fuse_relu) return fused;
  for (const Node& node : graph.nodes) {
    const auto identity = IdentityRange(graph, node, opset);
    if (!identity || !quantized.count(node.outputs[0]) || !plan.params.count(node.outputs[0])) continue;
    const QParams& p = plan.params.at(node.outputs[0]);
    const QuantRange& range = plan.formats.at(node.outputs[0]).range;
    const float lo = static_cast<float>(range.qmin - p.zero_point) * p.scale;
    const float hi = static_cast<float>(range.qmax - p.zero_point) * p.scale;
    if (lo < identity->min - p.scale / 2 || hi > identity->max + p.scale / 2) continue;
    if (Consumers(graph, node.inputs[0]).size() != 1 || IsGraphOutput(graph, node.inputs[0])) continue;
    auto producer = std::find_if(graph.nodes.begin(), graph.nodes.end(), [&](const Node& n) { return n.outputs[0] == node.inputs[0]; });
    if (producer == graph.nodes.end() || !quantized.count(producer->outputs[0]) ||
        backend.SharesInputParams(graph, *producer))
      continue;
    fused.insert(node.outputs[0]);
  }
  return fused;
}

}  // namespace qplay
