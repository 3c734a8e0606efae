#include "analysis/quality_check.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "analysis/layer_error.h"
#include "ops/quantize.h"

namespace qplay {
namespace {

constexpr int32_t kInt32Limit = 2147483647;

// The float tensor a value of the QDQ model stands for: through QuantizeLinear and
// DequantizeLinear to the tensor they quantize.
class Origins {
 public:
  explicit Origins(const Graph& quantized) {
    for (const Node& node : quantized.nodes)
      for (const auto& out : node.outputs) producer_[out] = &node;
  }
  std::string Of(std::string value) const {
    for (auto p = producer_.find(value); p != producer_.end() && IsQdq(*p->second); p = producer_.find(value))
      value = p->second->inputs[0];
    return value;
  }
  // The float inputs of the node that writes `value`, as the tensors they stand for.
  std::vector<std::string> InputsOf(const std::string& value) const {
    std::vector<std::string> inputs;
    auto p = producer_.find(value);
    if (p == producer_.end()) return inputs;
    for (const auto& in : p->second->inputs) inputs.push_back(Of(in));
    return inputs;
  }

 private:
  static bool IsQdq(const Node& node) { return IsQuantizeLinear(node) || IsDequantizeLinear(node); }
  std::map<std::string, const Node*> producer_;
};

std::string Range(float lo, float hi) { return Message("[", lo, ", ", hi, "]"); }

// One decimal, rounded down: 14.96 dB reads 14.9, not "15 dB, below 15 dB".
double Decibels(double db) { return std::floor(db * 10) / 10; }
double Percent(double fraction) { return std::round(fraction * 1000) / 10; }

// The float bias a stored int32 bias stands for (the writer names it "<bias>_quantized").
std::string FloatName(const std::string& stored) {
  const std::string suffix = "_quantized";
  return stored.size() > suffix.size() && stored.compare(stored.size() - suffix.size(), suffix.size(), suffix) == 0
             ? stored.substr(0, stored.size() - suffix.size())
             : stored;
}

// Why an activation lost signal, from what calibration and the comparison saw.
std::string ActivationCause(const TensorError& t, const QuantizationResult& result, const QualityOptions& options) {
  auto range = result.ranges.find(t.tensor);
  auto params = result.activations.find(t.tensor);
  if (range != result.ranges.end() && params != result.activations.end() &&
      range->second.max - range->second.min < 1e-6f * std::max(1.0f, std::abs(range->second.max)))
    return Message("its calibrated range ", Range(range->second.min, range->second.max),
                   " has collapsed (scale ", params->second.scale, "); set MinimumRealRange");
  if (t.distribution.clipped_fraction > options.max_clipped_fraction)
    return Message(Percent(t.distribution.clipped_fraction), "% of its values fall outside its quantized range: calibration clipped outliers");
  if (range != result.ranges.end())
    return Message("rare large values set its range ", Range(range->second.min, range->second.max),
                   ", so the step is coarse for its typical values; try mse or Percentile calibration, or keep the node float");
  return "its quantization step is coarse for its values";
}

// The DequantizeLinear nodes of int32 biases.
std::vector<const Node*> BiasDequantizers(const Graph& g) {
  std::vector<const Node*> found;
  for (const Node& node : g.nodes)
    if (IsDequantizeLinear(node) && g.IsInitializer(node.inputs[0]) && g.initializers.at(node.inputs[0]).dtype() == DataType::kInt32)
      found.push_back(&node);
  return found;
}

void CheckBiases(const QuantizationResult& result, std::vector<QuantizationNote>& notes) {
  const Graph& g = result.model.graph;
  for (const Node* dq : BiasDequantizers(g)) {
    const Node& node = *dq;
    std::string reader;
    for (const Node& n : g.nodes)
      if (std::find(n.inputs.begin(), n.inputs.end(), node.outputs[0]) != n.inputs.end()) reader = n.name;
    const Tensor& levels = g.initializers.at(node.inputs[0]);
    int64_t pinned = 0;
    for (int64_t i = 0; i < levels.size(); ++i) pinned += std::abs(static_cast<int64_t>(levels.data<int32_t>()[i])) >= kInt32Limit;
    if (pinned)
      notes.push_back({QuantizationNote::Kind::kWarning, FloatName(node.inputs[0]), reader,
                       Message("bias pinned at the int32 limit on ", pinned, " of ", levels.size(),
                               " channels: its scale (input scale x weight scale) is too small, and a fixed weight scale "
                               "(TensorQuantOverrides) kept it from being widened")});
  }
}

}  // namespace

std::vector<QuantizationNote> CheckQuantizationQuality(const Model& float_model, const QuantizationResult& result,
                                                      const SampleSet& calibration, const QualityOptions& options) {
  std::vector<QuantizationNote> notes;
  CheckBiases(result, notes);
  auto feeds = SampleFeeds::Bind(float_model.graph, calibration);
  if (!feeds.ok()) return notes;
  auto report = AnalyzeLayerError(float_model, result.model, feeds->Head(options.samples).arrays());
  if (!report.ok()) return notes;  // no Q/DQ pairs to compare

  std::map<std::string, double> sqnr;
  for (const TensorError& t : report->activations) sqnr[t.tensor] = t.error.sqnr_db;
  const Origins origins(result.model.graph);
  for (const TensorError& t : report->activations) {
    if (t.error.sqnr_db < options.min_sqnr_db) {
      bool inherited = false;
      for (const auto& in : origins.InputsOf(t.tensor)) {
        auto s = sqnr.find(in);
        inherited = inherited || (s != sqnr.end() && s->second < options.min_sqnr_db);
      }
      if (!inherited)
        notes.push_back({QuantizationNote::Kind::kWarning, t.tensor, t.node,
                         Message("SQNR ", Decibels(t.error.sqnr_db), " dB, below ", options.min_sqnr_db,
                                 " dB, where its inputs are above it: ", ActivationCause(t, result, options))});
    } else if (t.distribution.clipped_fraction > options.max_clipped_fraction) {
      notes.push_back({QuantizationNote::Kind::kWarning, t.tensor, t.node,
                       Message(Percent(t.distribution.clipped_fraction),
                               "% of its values fall outside its quantized range (calibration clipped outliers)")});
    }
  }
  // A bias's step is input scale x weight scale, far below the output's: its own SQNR says
  // little (a negligible bias rounds to 0), so only saturation is checked above.
  std::set<std::string> biases;
  for (const Node* dq : BiasDequantizers(result.model.graph)) biases.insert(dq->inputs[0]);  // "<bias>_quantized"
  for (const TensorError& w : report->weights)
    if (w.error.sqnr_db < options.min_sqnr_db && !biases.count(w.tensor + "_quantized"))
      notes.push_back({QuantizationNote::Kind::kWarning, w.tensor, w.node,
                       Message("weight SQNR ", Decibels(w.error.sqnr_db), " dB, below ", options.min_sqnr_db,
                               " dB: a few large values set its scale")});
  return notes;
}

}  // namespace qplay
