#include "analysis/report.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "analysis/metrics_json.h"
#include "onnx/model.h"
#include "passes/passes.h"

namespace qplay {

Result<AnalysisReport> AnalyzeQuantization(const Model& float_model, const Model& quantized, const SampleSet& data, const Tensor* labels,
                                           const AnalysisOptions& options, const ProgressFn& progress) {
  constexpr int64_t kPasses = 5;
  auto step = [&](int64_t done) {
    return !progress || progress(done, kPasses) ? Status::Ok() : Fail(StatusCode::kCancelled, "analysis cancelled");
  };
  AnalysisReport report;
  auto evaluation = Evaluate(float_model, &quantized, data, labels, options.batch_size);
  if (!evaluation.ok()) return evaluation.status();
  report.evaluation = std::move(evaluation.value());
  QPLAY_RETURN_IF_ERROR(step(1));

  auto layers = AnalyzeLayerError(float_model, quantized, data, options.batch_size);
  if (!layers.ok()) return layers.status();
  report.layers = std::move(layers.value());
  QPLAY_RETURN_IF_ERROR(step(2));

  // The ranges are compared on the model as the quantizer prepared it, whose tensor names the layers use.
  Model prepared = float_model;
  auto passes = PrepareForQuantization(prepared);
  if (!passes.ok()) return passes.status();
  std::vector<std::string> activations;
  for (const TensorError& e : report.layers.activations) activations.push_back(e.tensor);
  if (!activations.empty()) {
    auto ranges = CompareRangeChoices(prepared, activations, data, options.observer,
                                      options.range_samples, options.histogram_bins);
    if (!ranges.ok()) return ranges.status();
    report.activation_ranges = std::move(ranges.value());
  }
  QPLAY_RETURN_IF_ERROR(step(3));

  auto feeds = SampleFeeds::Bind(float_model.graph, data, "the analysis data");
  if (!feeds.ok()) return feeds.status();
  auto first = feeds->FirstRun();
  if (!first.ok()) return first.status();
  auto float_profile = ProfileModel(float_model, *first, options.profile_runs);
  if (!float_profile.ok()) return float_profile.status().WithContext("float model");
  report.float_profile = std::move(float_profile.value());
  QPLAY_RETURN_IF_ERROR(step(4));
  auto quantized_profile = ProfileModel(quantized, *first, options.profile_runs);
  if (!quantized_profile.ok()) return quantized_profile.status().WithContext("quantized model");
  report.quantized_profile = std::move(quantized_profile.value());

  auto float_bytes = ExportedSize(float_model);
  if (!float_bytes.ok()) return float_bytes.status().WithContext("float model");
  auto quantized_bytes = ExportedSize(quantized);
  if (!quantized_bytes.ok()) return quantized_bytes.status().WithContext("quantized model");
  report.float_bytes = *float_bytes;
  report.quantized_bytes = *quantized_bytes;
  QPLAY_RETURN_IF_ERROR(step(5));
  return report;
}

std::string AnalysisReport::ToJson() const {
  // One list of every quantized tensor, activations and weights together, worst (lowest SQNR) first.
  std::vector<std::pair<const TensorError*, const char*>> tensors;
  for (const auto& e : layers.activations) tensors.emplace_back(&e, "activation");
  for (const auto& e : layers.weights) tensors.emplace_back(&e, "weight");
  std::stable_sort(tensors.begin(), tensors.end(),
                   [](const auto& a, const auto& b) { return a.first->error.sqnr_db < b.first->error.sqnr_db; });
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [error, kind] : tensors) {
    nlohmann::json j = qplay::ToJson(*error);
    j["kind"] = kind;
    list.push_back(std::move(j));
  }
  return nlohmann::json{{"format", "qplay-analysis"},
                        {"version", kAnalysisReportVersion},
                        {"samples", evaluation.samples},
                        {"evaluation", nlohmann::json::parse(evaluation.ToJson())},
                        {"size_bytes", {{"float", float_bytes}, {"quantized", quantized_bytes}}},
                        {"layers", list},
                        {"activation_ranges", nlohmann::json::parse(RangeChoicesToJson(activation_ranges))},
                        {"profile", {{"float", nlohmann::json::parse(float_profile.ToJson())},
                                     {"quantized", nlohmann::json::parse(quantized_profile.ToJson())}}}}
      .dump(2);
}

}  // namespace qplay
