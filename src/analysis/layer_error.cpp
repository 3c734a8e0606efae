#include "analysis/layer_error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "analysis/metrics_json.h"
#include "kernels/kernel.h"
#include "ops/quantize.h"
#include "passes/graph_edit.h"
#include "passes/passes.h"
#include "quant/qparams.h"
#include "runtime/session.h"

namespace qplay {
namespace {


// The dequantization step of element i: its scale, per tensor or along the DequantizeLinear's axis.
float StepAt(const Tensor& scale, const Tensor& values, int64_t axis, int64_t i) {
  if (scale.size() == 1) return static_cast<float>(scale.GetAsDouble(0));
  int64_t inner = 1;
  for (int64_t d = axis + 1; d < values.rank(); ++d) inner *= values.dim(d);
  return static_cast<float>(scale.GetAsDouble((i / inner) % values.dim(axis)));
}

constexpr int kBins = 64;

// The bin of v among kBins equal bins over [d.lo, d.hi]; values beyond go to the outer bins.
size_t BinOf(const Distribution& d, float v) {
  const double width = (static_cast<double>(d.hi) - d.lo) / kBins;
  return static_cast<size_t>(std::clamp<double>(width > 0 ? (v - d.lo) / width : 0, 0, kBins - 1));
}

void Count(Distribution& d, const float* reference, const float* dequantized, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    ++d.float_counts[BinOf(d, reference[i])];
    ++d.dequantized_counts[BinOf(d, dequantized[i])];
  }
}

Distribution WeightDistribution(const Tensor& reference, const Tensor& dequantized, const Tensor& scale, int64_t axis) {
  Distribution d;
  const float* r = reference.data<float>();
  const int64_t n = reference.size();
  d.lo = *std::min_element(r, r + n);
  d.hi = *std::max_element(r, r + n);
  d.float_counts.assign(kBins, 0);
  d.dequantized_counts.assign(kBins, 0);
  const float* q = dequantized.data<float>();
  Count(d, r, q, n);
  // A weight's dequantized value is its own rounding: further than half a step means clipped.
  auto clipped = [&](int64_t i) { return std::abs(r[i] - q[i]) > 0.5f * StepAt(scale, dequantized, axis, i) * 1.001f; };
  int64_t clipped_total = 0;
  for (int64_t i = 0; i < n; ++i) clipped_total += clipped(i);
  d.clipped_fraction = n ? static_cast<double>(clipped_total) / static_cast<double>(n) : 0;
  const int64_t channels = reference.rank() > 0 ? reference.dim(0) : 1, per_channel = channels ? n / channels : 0;
  for (int64_t c = 0; c < channels && per_channel > 0; ++c) {
    const int64_t begin = c * per_channel, end = begin + per_channel;
    d.channel_ranges.emplace_back(*std::min_element(r + begin, r + end), *std::max_element(r + begin, r + end));
    int64_t clipped_here = 0;
    double signal = 0, noise = 0;
    for (int64_t i = begin; i < end; ++i) {
      clipped_here += clipped(i);
      signal += static_cast<double>(r[i]) * r[i];
      noise += (static_cast<double>(r[i]) - q[i]) * (static_cast<double>(r[i]) - q[i]);
    }
    d.channel_clipped_fraction.push_back(static_cast<double>(clipped_here) / static_cast<double>(per_channel));
    d.channel_sqnr_db.push_back(noise > 0 ? 10 * std::log10(signal / noise) : std::numeric_limits<double>::infinity());
  }
  return d;
}

// An activation's histograms, filled batch by batch over fixed bins around what its
// QuantizeLinear (per-tensor scale and zero point, both constants) can represent.
struct ActivationCounts {
  Distribution distribution;
  float step = 0;
  int64_t clipped = 0, total = 0;

  static std::optional<ActivationCounts> For(const Graph& q, const Node& quantize) {
    if (quantize.inputs.size() < 2 || !q.IsInitializer(quantize.inputs[1])) return std::nullopt;
    const Tensor& scale = q.initializers.at(quantize.inputs[1]);
    const bool has_zero_point = quantize.inputs.size() > 2 && !quantize.inputs[2].empty();
    if (scale.size() != 1 || (has_zero_point && !q.IsInitializer(quantize.inputs[2]))) return std::nullopt;
    const Tensor* zero_point = has_zero_point ? &q.initializers.at(quantize.inputs[2]) : nullptr;
    auto range = RangeFor(zero_point ? zero_point->dtype() : DataType::kUint8, false, false);
    if (!range.ok()) return std::nullopt;
    ActivationCounts counts;
    counts.step = static_cast<float>(scale.GetAsDouble(0));
    const double zp = zero_point ? zero_point->GetAsDouble(0) : 0;
    const float clip_lo = static_cast<float>((range->qmin - zp) * counts.step), clip_hi = static_cast<float>((range->qmax - zp) * counts.step);
    Distribution& d = counts.distribution;
    d.clip_range = std::make_pair(clip_lo, clip_hi);
    d.lo = clip_lo - 0.25f * (clip_hi - clip_lo);
    d.hi = clip_hi + 0.25f * (clip_hi - clip_lo);
    d.float_counts.assign(kBins, 0);
    d.dequantized_counts.assign(kBins, 0);
    return counts;
  }

  void Add(const Tensor& reference, const Tensor& dequantized) {
    if (reference.dtype() != DataType::kFloat || dequantized.dtype() != DataType::kFloat || reference.size() != dequantized.size()) return;
    const float* r = reference.data<float>();
    Count(distribution, r, dequantized.data<float>(), reference.size());
    // An activation's dequantized value also carries the error of the layers before it, so
    // clipping is judged on the float value alone: beyond the range by more than half a step.
    const auto [lo, hi] = *distribution.clip_range;
    for (int64_t i = 0; i < reference.size(); ++i) clipped += r[i] < lo - 0.5f * step || r[i] > hi + 0.5f * step;
    total += reference.size();
    distribution.clipped_fraction = total ? static_cast<double>(clipped) / static_cast<double>(total) : 0;
  }
};

void RankWorstFirst(std::vector<TensorError>& list) {
  std::stable_sort(list.begin(), list.end(), [](const TensorError& a, const TensorError& b) { return a.error.sqnr_db < b.error.sqnr_db; });
}

}  // namespace

Result<LayerErrorReport> AnalyzeLayerError(const Model& float_model, const Model& quantized, const SampleSet& data,
                                           int64_t batch_size, const ProgressFn& progress) {
  auto feeds = SampleFeeds::Bind(float_model.graph, data, "the analysis data");
  if (!feeds.ok()) return feeds.status();
  Model prepared = float_model;
  auto passes = PrepareForQuantization(prepared);
  if (!passes.ok()) return passes.status();
  std::map<std::string, const Node*> float_producer, float_nodes;
  for (const Node& n : prepared.graph.nodes) {
    float_nodes[n.name] = &n;
    for (const auto& out : n.outputs) float_producer[out] = &n;
  }

  const Graph& q = quantized.graph;
  std::map<std::string, const Node*> producer;
  for (const Node& n : q.nodes)
    for (const auto& out : n.outputs) producer[out] = &n;
  LayerErrorReport report;
  std::map<std::string, std::string> float_name_of;  // dequantized activation -> the float tensor it stands for
  std::map<std::string, ActivationCounts> histograms;  // by float tensor
  for (const Node& n : q.nodes) {
    if (!IsDequantizeLinear(n)) continue;
    auto source = producer.find(n.inputs[0]);
    if (source == producer.end() || !IsQuantizeLinear(*source->second)) continue;
    const std::string& float_name = source->second->inputs[0];
    float_name_of[n.outputs[0]] = float_name;
    if (auto counts = ActivationCounts::For(q, *source->second)) histograms.emplace(float_name, *counts);
  }
  // Weights: a constant dequantized into an input of a node the float model has too.
  for (const Node& n : q.nodes) {
    if (IsDequantizeLinear(n) || IsQuantizeLinear(n)) continue;
    auto original = float_nodes.find(n.name);
    for (size_t i = 0; i < n.inputs.size() && original != float_nodes.end(); ++i) {
      auto dq = producer.find(n.inputs[i]);
      if (dq == producer.end() || !IsDequantizeLinear(*dq->second) || !q.IsInitializer(dq->second->inputs[0])) continue;
      if (i >= original->second->inputs.size() || !prepared.graph.IsInitializer(original->second->inputs[i])) continue;
      const Tensor& reference = prepared.graph.initializers.at(original->second->inputs[i]);
      auto values = EvaluateConstantNode(quantized, *dq->second);
      if (!values.ok()) return values.status();
      ErrorAccumulator acc;
      if (!acc.Add(reference, *values).ok()) continue;  // a bias folded differently, say: not comparable
      int64_t axis = dq->second->GetInt("axis", 1);
      const Tensor& scale = q.initializers.count(dq->second->inputs[1]) ? q.initializers.at(dq->second->inputs[1]) : Tensor();
      if (scale.empty() || (scale.size() > 1 && !NormalizeAxis(axis, values->rank()))) continue;
      report.weights.push_back({original->second->inputs[i], n.name, n.op_type, acc.Result(), WeightDistribution(reference, *values, scale, axis)});
    }
  }
  if (float_name_of.empty() && report.weights.empty())
    return Fail(StatusCode::kInvalidArgument, "the compared model has no QuantizeLinear/DequantizeLinear pairs or dequantized weights "
                                              "to compare (analyze a QDQ model)");

  std::set<std::string> needed;
  for (const auto& [_, name] : float_name_of) needed.insert(name);
  auto float_session = Session::Create(prepared);
  if (!float_session.ok()) return float_session.status();
  SessionOptions simulate;
  simulate.qdq = QdqExecution::kFloatSimulation;  // every dequantized tensor exists under its name
  auto quantized_session = Session::Create(quantized, simulate);
  if (!quantized_session.ok()) return quantized_session.status().WithContext("compared model");

  std::map<std::string, ErrorAccumulator> errors;
  report.samples = feeds->samples();
  const int64_t batch = feeds->RunSize(batch_size);
  for (int64_t start = 0; start < report.samples; start += batch) {
    const int64_t count = std::min(batch, report.samples - start);
    auto run_inputs = feeds->Run(start, count);
    if (!run_inputs.ok()) return run_inputs.status();
    const TensorMap& inputs = *run_inputs;
    TensorMap float_values;
    for (const auto& [name, t] : inputs)
      if (needed.count(name)) float_values[name] = t;
    auto run = float_session->Run(inputs, [&](const Node&, const std::string& name, const Tensor& t) {
      if (needed.count(name)) float_values[name] = t;
    });
    if (!run.ok()) return run.status();
    Status mismatch = Status::Ok();
    auto compared = quantized_session->Run(inputs, [&](const Node&, const std::string& name, const Tensor& t) {
      auto pair = float_name_of.find(name);
      if (pair == float_name_of.end() || !float_values.count(pair->second) || !mismatch.ok()) return;
      const Tensor& reference = float_values.at(pair->second);
      mismatch = errors[pair->second].Add(reference, t).WithContext("tensor '" + pair->second + "'");
      auto counts = histograms.find(pair->second);
      if (counts != histograms.end()) counts->second.Add(reference, t);
    });
    if (!compared.ok()) return compared.status().WithContext("compared model");
    QPLAY_RETURN_IF_ERROR(mismatch);
    if (progress && !progress(start + count, report.samples)) return Fail(StatusCode::kCancelled, "analysis cancelled");
  }
  for (const auto& [name, acc] : errors) {
    auto p = float_producer.find(name);
    auto counts = histograms.find(name);
    report.activations.push_back({name, p == float_producer.end() ? "(input)" : p->second->name,
                                  p == float_producer.end() ? "" : p->second->op_type, acc.Result(),
                                  counts == histograms.end() ? Distribution{} : counts->second.distribution});
  }
  RankWorstFirst(report.activations);
  RankWorstFirst(report.weights);
  return report;
}

nlohmann::json ToJson(const TensorError& e) {
  nlohmann::json j = ToJson(e.error);
  j["tensor"] = e.tensor;
  j["node"] = e.node;
  j["op_type"] = e.op_type;
  const Distribution& d = e.distribution;
  if (!d.float_counts.empty()) {
    j["histogram"] = {{"lo", d.lo}, {"hi", d.hi}, {"float", d.float_counts}, {"dequantized", d.dequantized_counts}};
    if (d.clip_range) j["histogram"]["clip_range"] = {d.clip_range->first, d.clip_range->second};
    j["clipped_fraction"] = d.clipped_fraction;
  }
  if (!d.channel_ranges.empty()) {
    j["channel_ranges"] = d.channel_ranges;
    j["channel_clipped_fraction"] = d.channel_clipped_fraction;
    j["channel_sqnr_db"] = nlohmann::json::array();
    for (double db : d.channel_sqnr_db) j["channel_sqnr_db"].push_back(std::isfinite(db) ? nlohmann::json(db) : nlohmann::json(nullptr));
  }
  return j;
}

std::string LayerErrorReport::ToJson() const {
  auto list = [](const std::vector<TensorError>& errors) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : errors) out.push_back(qplay::ToJson(e));
    return out;
  };
  return nlohmann::json{{"samples", samples}, {"activations", list(activations)}, {"weights", list(weights)}}.dump(2);
}

}  // namespace qplay
