#include "analysis/sensitivity.h"

#include <algorithm>
#include <set>
#include <nlohmann/json.hpp>

#include "analysis/metrics_json.h"
#include "ops/quantize.h"
#include "ops/schema.h"
#include "passes/graph_edit.h"

namespace qplay {
namespace {

struct Measured {
  QuantizationResult quantized;
  EvaluationReport evaluation;
  ErrorMetrics error;  // first output vs float
};

QuantizationConfig Excluding(QuantizationConfig config, const std::vector<std::string>& nodes) {
  config.nodes_to_exclude.insert(nodes.begin(), nodes.end());
  return config;
}

// The recipe with `kept` nodes out of 8 bits: excluded, or with int16 activations around them.
QuantizationConfig Keeping(QuantizationConfig config, const std::vector<const NodeSensitivity*>& kept, FallbackPrecision keep_as) {
  for (const NodeSensitivity* n : kept) {
    if (keep_as == FallbackPrecision::kFloat) {
      config.nodes_to_exclude.insert(n->node);
      config.nodes_to_exclude.insert(n->fused.begin(), n->fused.end());
      continue;
    }
    for (const std::string& tensor : n->activations) config.tensor_overrides[tensor].quant_type = DataType::kInt16;
  }
  return config;
}

Result<Measured> QuantizeAndEvaluate(const Model& model, const QuantizationConfig& config, const std::map<std::string, FloatRange>& ranges,
                                     const SampleSet& data, const Tensor* labels) {
  auto quantized = QuantizeStaticWithRanges(model, config, ranges);
  if (!quantized.ok()) return quantized.status();
  auto evaluation = Evaluate(model, &quantized->model, data, labels);
  if (!evaluation.ok()) return evaluation.status();
  const ErrorMetrics error = evaluation->outputs.at(model.graph.outputs[0]);
  return Measured{std::move(quantized.value()), std::move(evaluation.value()), error};
}

// Nodes the quantizer removed because the quantizer after them does their work: a Relu or
// Clip reading `node`'s output in the prepared graph that the quantized graph no longer has.
std::vector<std::string> FusedInto(const Graph& prepared, const Graph& quantized, const std::string& node) {
  std::set<std::string> kept;
  for (const Node& n : quantized.nodes) kept.insert(n.name);
  std::vector<std::string> fused;
  for (const Node& producer : prepared.nodes) {
    if (producer.name != node) continue;
    for (const auto& output : producer.outputs)
      for (size_t c : Consumers(prepared, output)) {
        const Node& consumer = prepared.nodes[c];
        if (IsClamp(consumer) && !kept.count(consumer.name)) fused.push_back(consumer.name);
      }
  }
  return fused;
}

// The float activations a QDQ node reads and writes: inputs traced back through their
// DequantizeLinear and QuantizeLinear, outputs as they are; those with a calibrated range.
std::vector<std::string> QuantizedActivations(const Graph& qdq, const Node& node, const std::map<std::string, FloatRange>& ranges) {
  std::map<std::string, const Node*> producer;
  for (const Node& n : qdq.nodes)
    for (const auto& out : n.outputs) producer[out] = &n;
  auto before_qdq = [&](std::string value) {
    for (auto is_step : {IsDequantizeLinear, IsQuantizeLinear}) {
      auto p = producer.find(value);
      if (p == producer.end() || !is_step(*p->second)) return value;
      value = p->second->inputs[0];
    }
    return value;
  };
  std::vector<std::string> found;
  for (const auto& in : node.inputs)
    if (ranges.count(before_qdq(in))) found.push_back(before_qdq(in));
  for (const auto& out : node.outputs)
    if (ranges.count(out)) found.push_back(out);
  return found;
}

double Agreement(const EvaluationReport& r) { return r.classification ? r.classes.agreement() : 0; }

}  // namespace

Result<SensitivityReport> AnalyzeSensitivity(const Model& model, const QuantizationConfig& config, const SampleSet& calibration,
                                             const SampleSet& data, const ProgressFn& progress) {
  auto base = QuantizeStatic(model, config, calibration);  // calibrates once for every variant
  if (!base.ok()) return base.status();
  const std::vector<std::string>& nodes = base->quantized_nodes;
  SensitivityReport report;
  report.ranges = base->ranges;
  auto all = Evaluate(model, &base->model, data, nullptr);  // every node quantized: the base model itself
  if (!all.ok()) return all.status();
  report.all = all->outputs.at(model.graph.outputs[0]);
  report.agreement_all = Agreement(*all);
  auto prepared = StartQuantization(model, config, &calibration);
  if (!prepared.ok()) return prepared.status();
  std::map<std::string, const Node*> by_name;
  for (const Node& n : base->model.graph.nodes) by_name[n.name] = &n;
  for (const std::string& name : nodes) {
    const Node& node = *by_name.at(name);
    NodeSensitivity& n = report.nodes.emplace_back();
    n.node = name;
    n.op_type = node.op_type;
    n.fused = FusedInto(prepared->model.graph, base->model.graph, name);
    n.activations = QuantizedActivations(base->model.graph, node, base->ranges);
  }
  // A node's variants exclude it with what is fused into it: left float, its Relu would otherwise be quantized alone.
  auto unit = [](const NodeSensitivity& n) {
    std::vector<std::string> names = n.fused;
    names.push_back(n.node);
    return names;
  };
  for (size_t i = 0; i < report.nodes.size(); ++i) {
    NodeSensitivity& n = report.nodes[i];
    std::vector<std::string> others;
    for (const auto& other : report.nodes)
      if (&other != &n) for (const auto& name : unit(other)) others.push_back(name);
    auto alone = QuantizeAndEvaluate(model, Excluding(config, others), base->ranges, data, nullptr);
    if (!alone.ok()) return alone.status().WithContext("only " + n.node + " quantized");
    auto all_but = QuantizeAndEvaluate(model, Excluding(config, unit(n)), base->ranges, data, nullptr);
    if (!all_but.ok()) return all_but.status().WithContext(n.node + " left float");
    n.alone = alone->error;
    n.all_but = all_but->error;
    n.agreement_alone = Agreement(alone->evaluation);
    n.agreement_all_but = Agreement(all_but->evaluation);
    if (progress && !progress(static_cast<int64_t>(i) + 1, static_cast<int64_t>(nodes.size())))
      return Fail(StatusCode::kCancelled, "sensitivity analysis cancelled");
  }
  std::stable_sort(report.nodes.begin(), report.nodes.end(),
                   [](const NodeSensitivity& a, const NodeSensitivity& b) { return a.alone.sqnr_db < b.alone.sqnr_db; });
  return report;
}

Status FallbackTarget::Validate(const QuantizationConfig& config) const {
  if (std::isnan(max_accuracy_drop) && std::isnan(min_agreement) && std::isnan(min_sqnr_db))
    return Fail(StatusCode::kInvalidArgument, "a fallback needs a target: a maximum accuracy drop, a minimum agreement or a minimum SQNR");
  if (max_accuracy_drop < 0 || max_accuracy_drop > 1)
    return Fail(StatusCode::kInvalidArgument, "the maximum accuracy drop must be between 0 and 100 points, got ", max_accuracy_drop * 100);
  if (min_agreement < 0 || min_agreement > 1)
    return Fail(StatusCode::kInvalidArgument, "the minimum agreement must be between 0% and 100%, got ", min_agreement * 100, "%");
  if (keep_as == FallbackPrecision::kInt16 && config.format != QuantFormat::kQdq)
    return Fail(StatusCode::kInvalidArgument, "keeping nodes in int16 activations needs the QDQ format (QOperator ops are 8-bit)");
  return Status::Ok();
}

Result<FallbackResult> FallBackToTarget(const Model& model, const QuantizationConfig& config, const SampleSet& data,
                                        const Tensor* labels, const FallbackTarget& target, const SensitivityReport& sensitivity,
                                        const ProgressFn& progress) {
  QPLAY_RETURN_IF_ERROR(target.Validate(config));
  auto meets = [&](const Measured& m) {
    const ClassificationMetrics& c = m.evaluation.classes;
    const bool classifies = m.evaluation.classification;
    bool met = true;
    if (!std::isnan(target.max_accuracy_drop))
      met = met && classifies &&
            (labels ? c.reference_accuracy() - c.test_accuracy() : 1 - c.agreement()) <= target.max_accuracy_drop + 1e-12;
    if (!std::isnan(target.min_agreement)) met = met && classifies && c.agreement() >= target.min_agreement - 1e-12;
    if (!std::isnan(target.min_sqnr_db)) met = met && m.error.sqnr_db >= target.min_sqnr_db;
    return met;
  };
  FallbackResult result;
  result.keep_as = target.keep_as;
  std::vector<const NodeSensitivity*> kept;
  for (size_t next = 0;; ++next) {
    auto measured = QuantizeAndEvaluate(model, Keeping(config, kept, target.keep_as), sensitivity.ranges, data, labels);
    if (!measured.ok()) return measured.status();
    result.met = meets(*measured);
    result.quantized = std::move(measured->quantized);
    result.evaluation = measured->evaluation;
    if (result.met || next >= sensitivity.nodes.size()) break;
    if (progress && !progress(static_cast<int64_t>(next) + 1, static_cast<int64_t>(sensitivity.nodes.size()) + 1))
      return Fail(StatusCode::kCancelled, "the fallback search was cancelled");
    kept.push_back(&sensitivity.nodes[next]);
    result.kept_nodes.push_back(sensitivity.nodes[next].node);
  }
  auto float_bytes = ExportedSize(model);
  if (!float_bytes.ok()) return float_bytes.status().WithContext("float model");
  auto quantized_bytes = ExportedSize(result.quantized.model);
  if (!quantized_bytes.ok()) return quantized_bytes.status().WithContext("quantized model");
  result.float_model_bytes = *float_bytes;
  result.quantized_model_bytes = *quantized_bytes;
  return result;
}

std::string SensitivityReport::ToJson() const {
  nlohmann::json j = {{"all", qplay::ToJson(all)}, {"agreement_all", agreement_all}, {"nodes", nlohmann::json::array()}};
  for (const auto& n : nodes)
    j["nodes"].push_back({{"node", n.node}, {"op_type", n.op_type}, {"fused", n.fused}, {"activations", n.activations}, {"alone", qplay::ToJson(n.alone)}, {"all_but", qplay::ToJson(n.all_but)},
                          {"agreement_alone", n.agreement_alone}, {"agreement_all_but", n.agreement_all_but}});
  return j.dump(2);
}

std::string FallbackResult::ToJson() const {
  nlohmann::json j = {{"kept_nodes", kept_nodes},
                      {"kept_as", keep_as == FallbackPrecision::kFloat ? "float" : "int16"},
                      {"met", met},
                      {"size_bytes", {{"float", float_model_bytes}, {"quantized", quantized_model_bytes}}},
                      {"evaluation", nlohmann::json::parse(evaluation.ToJson())}};
  return j.dump(2);
}

}  // namespace qplay
