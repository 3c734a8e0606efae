#include "analysis/range_choices.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "runtime/sample_feeds.h"

namespace qplay {
namespace {

constexpr CalibrationMethod kMethods[] = {CalibrationMethod::kMinMax, CalibrationMethod::kMovingAverage,
                                          CalibrationMethod::kPercentile, CalibrationMethod::kEntropy, CalibrationMethod::kMse};

// Every value each tensor takes on the first `limit` samples goes into its histogram.
Status FillHistograms(const Model& model, const SampleSet& samples, int64_t limit, std::map<std::string, Histogram*>& histograms) {
  auto feeds = SampleFeeds::Bind(model.graph, samples);
  if (!feeds.ok()) return feeds.status();
  auto session = Session::Create(model);
  if (!session.ok()) return session.status();
  auto add = [&](const std::string& name, const Tensor& t) {
    auto h = histograms.find(name);
    if (h == histograms.end() || t.dtype() != DataType::kFloat) return;
    Histogram& hist = *h->second;
    const double width = (static_cast<double>(hist.hi) - hist.lo) / static_cast<double>(hist.counts.size());
    for (int64_t i = 0; i < t.size(); ++i) {
      const double bin = width > 0 ? (t.data<float>()[i] - hist.lo) / width : 0;
      ++hist.counts[static_cast<size_t>(std::clamp<double>(bin, 0, static_cast<double>(hist.counts.size() - 1)))];
    }
  };
  return ObserveSamples(*session, limit > 0 ? feeds->Head(limit) : *feeds, add);
}

}  // namespace

Result<std::vector<ActivationRanges>> CompareRangeChoices(const Model& model, const std::vector<std::string>& tensors,
                                                          const SampleSet& samples, const ObserverOptions& options,
                                                          int64_t limit, int bins) {
  for (const auto& name : tensors) {
    bool produced = std::find(model.graph.inputs.begin(), model.graph.inputs.end(), name) != model.graph.inputs.end();
    for (const Node& n : model.graph.nodes) produced = produced || std::find(n.outputs.begin(), n.outputs.end(), name) != n.outputs.end();
    const ValueType* type = model.graph.TypeOf(name);
    if (!produced || (type && type->dtype != DataType::kFloat && type->dtype != DataType::kUndefined))
      return Fail(StatusCode::kInvalidArgument, "no float activation '", name, "' in the model");
  }
  std::map<std::string, std::map<std::string, FloatRange>> chosen;  // method -> tensor -> range
  for (CalibrationMethod method : kMethods) {
    CalibrationOptions calibration;
    calibration.observer = options;
    calibration.observer.method = method;
    calibration.limit = limit;
    auto ranges = Calibrate(model, tensors, samples, calibration);
    if (!ranges.ok()) return ranges.status();
    chosen[CalibrationMethodName(method)] = *ranges;
  }
  std::vector<ActivationRanges> out;
  std::map<std::string, Histogram*> histograms;
  out.reserve(tensors.size());
  for (const auto& name : tensors) {
    const FloatRange& full = chosen.at(CalibrationMethodName(CalibrationMethod::kMinMax)).at(name);
    out.push_back({name, Histogram{full.min, full.max, std::vector<int64_t>(static_cast<size_t>(std::max(bins, 1)), 0)}, {}});
  }
  for (auto& a : out) histograms[a.tensor] = &a.histogram;
  QPLAY_RETURN_IF_ERROR(FillHistograms(model, samples, limit, histograms));
  for (auto& a : out) {
    int64_t total = 0;
    for (int64_t c : a.histogram.counts) total += c;
    const double width = (static_cast<double>(a.histogram.hi) - a.histogram.lo) / static_cast<double>(a.histogram.counts.size());
    for (const auto& [method, ranges] : chosen) {
      const FloatRange& r = ranges.at(a.tensor);
      int64_t clipped = 0;  // bins whose centre lies outside the range
      for (size_t b = 0; b < a.histogram.counts.size(); ++b) {
        const double centre = a.histogram.lo + (static_cast<double>(b) + 0.5) * width;
        if (centre < r.min || centre > r.max) clipped += a.histogram.counts[b];
      }
      a.by_method[method] = {r, total ? static_cast<double>(clipped) / static_cast<double>(total) : 0};
    }
  }
  return out;
}

std::string RangeChoicesToJson(const std::vector<ActivationRanges>& ranges) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& a : ranges) {
    nlohmann::json methods = nlohmann::json::object();
    for (const auto& [method, c] : a.by_method)
      methods[method] = {{"min", c.range.min}, {"max", c.range.max}, {"clipped_fraction", c.clipped_fraction}};
    j.push_back({{"tensor", a.tensor}, {"histogram", {{"lo", a.histogram.lo}, {"hi", a.histogram.hi}, {"counts", a.histogram.counts}}},
                 {"methods", methods}});
  }
  return j.dump(2);
}

}  // namespace qplay
