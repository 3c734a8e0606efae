#include "analysis/sensitivity.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "analysis/metrics_json.h"

namespace qplay {
namespace {

struct Measured {
  QuantizationResult quantized;
  EvaluationReport evaluation;
  ErrorMetrics error;  // first output vs float
};

Result<Measured> QuantizeAndEvaluate(const Model& model, QuantizationConfig config, const std::vector<std::string>& excluded,
                                     const std::map<std::string, FloatRange>& ranges, const Tensor& data, const Tensor* labels) {
  config.nodes_to_exclude.insert(excluded.begin(), excluded.end());
  auto quantized = QuantizeStaticWithRanges(model, config, ranges);
  if (!quantized.ok()) return quantized.status();
  auto evaluation = Evaluate(model, &quantized->model, data, labels);
  if (!evaluation.ok()) return evaluation.status();
  const ErrorMetrics error = evaluation->outputs.at(model.graph.outputs[0]);
  return Measured{std::move(quantized.value()), std::move(evaluation.value()), error};
}

double Agreement(const EvaluationReport& r) { return r.classification ? r.classes.agreement() : 0; }

}  // namespace

Result<SensitivityReport> AnalyzeSensitivity(const Model& model, const QuantizationConfig& config, const SampleSet& calibration,
                                             const Tensor& data, const ProgressFn& progress) {
  auto base = QuantizeStatic(model, config, calibration);  // calibrates once for every variant
  if (!base.ok()) return base.status();
  const std::vector<std::string>& nodes = base->quantized_nodes;
  SensitivityReport report;
  report.ranges = base->ranges;
  auto all = Evaluate(model, &base->model, data, nullptr);  // every node quantized: the base model itself
  if (!all.ok()) return all.status();
  report.all = all->outputs.at(model.graph.outputs[0]);
  report.agreement_all = Agreement(*all);
  std::map<std::string, std::string> op_types;
  for (const Node& n : base->model.graph.nodes) op_types[n.name] = n.op_type;
  for (size_t i = 0; i < nodes.size(); ++i) {
    std::vector<std::string> others;
    for (const auto& n : nodes)
      if (n != nodes[i]) others.push_back(n);
    auto alone = QuantizeAndEvaluate(model, config, others, base->ranges, data, nullptr);
    if (!alone.ok()) return alone.status().WithContext("only " + nodes[i] + " quantized");
    auto all_but = QuantizeAndEvaluate(model, config, {nodes[i]}, base->ranges, data, nullptr);
    if (!all_but.ok()) return all_but.status().WithContext(nodes[i] + " left float");
    report.nodes.push_back({nodes[i], op_types[nodes[i]], alone->error, all_but->error, Agreement(alone->evaluation),
                            Agreement(all_but->evaluation)});
    if (progress && !progress(static_cast<int64_t>(i) + 1, static_cast<int64_t>(nodes.size())))
      return Fail(StatusCode::kCancelled, "sensitivity analysis cancelled");
  }
  std::stable_sort(report.nodes.begin(), report.nodes.end(),
                   [](const NodeSensitivity& a, const NodeSensitivity& b) { return a.alone.sqnr_db < b.alone.sqnr_db; });
  return report;
}

Result<FallbackResult> FallBackToTarget(const Model& model, const QuantizationConfig& config, const Tensor& data,
                                        const Tensor* labels, const FallbackTarget& target, const SensitivityReport& sensitivity) {
  FallbackResult result;
  for (size_t next = 0;; ++next) {
    auto measured = QuantizeAndEvaluate(model, config, result.float_nodes, sensitivity.ranges, data, labels);
    if (!measured.ok()) return measured.status();
    const EvaluationReport& e = measured->evaluation;
    result.met = labels && e.classification ? e.classes.reference_accuracy() - e.classes.test_accuracy() <= target.max_accuracy_drop + 1e-12
                                            : measured->error.sqnr_db >= target.min_sqnr_db;
    result.quantized = std::move(measured->quantized);
    result.evaluation = e;
    if (result.met || next >= sensitivity.nodes.size()) break;
    result.float_nodes.push_back(sensitivity.nodes[next].node);
  }
  result.parameter_bytes = 0;
  for (const auto& [_, t] : result.quantized.model.graph.initializers) result.parameter_bytes += static_cast<int64_t>(t.nbytes());
  return result;
}

std::string SensitivityReport::ToJson() const {
  nlohmann::json j = {{"all", qplay::ToJson(all)}, {"agreement_all", agreement_all}, {"nodes", nlohmann::json::array()}};
  for (const auto& n : nodes)
    j["nodes"].push_back({{"node", n.node}, {"op_type", n.op_type}, {"alone", qplay::ToJson(n.alone)}, {"all_but", qplay::ToJson(n.all_but)},
                          {"agreement_alone", n.agreement_alone}, {"agreement_all_but", n.agreement_all_but}});
  return j.dump(2);
}

std::string FallbackResult::ToJson() const {
  nlohmann::json j = {{"float_nodes", float_nodes}, {"met", met}, {"parameter_bytes", parameter_bytes},
                      {"evaluation", nlohmann::json::parse(evaluation.ToJson())}};
  return j.dump(2);
}

}  // namespace qplay
