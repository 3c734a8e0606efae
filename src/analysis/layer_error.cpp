#include "analysis/layer_error.h"

#include <algorithm>
#include <map>
#include <set>

#include "analysis/metrics_json.h"
#include "kernels/kernel.h"
#include "passes/graph_edit.h"
#include "passes/passes.h"
#include "runtime/session.h"

namespace qplay {
namespace {

bool IsDequantize(const Node& n) { return n.op_type == "DequantizeLinear"; }
bool IsQuantize(const Node& n) { return n.op_type == "QuantizeLinear"; }

// The dequantization step of element i: its scale, per tensor or along the DequantizeLinear's axis.
float StepAt(const Tensor& scale, const Tensor& values, int64_t axis, int64_t i) {
  if (scale.size() == 1) return static_cast<float>(scale.GetAsDouble(0));
  int64_t inner = 1;
  for (int64_t d = axis + 1; d < values.rank(); ++d) inner *= values.dim(d);
  return static_cast<float>(scale.GetAsDouble((i / inner) % values.dim(axis)));
}

// Clipped: further from its dequantized value than half a step (rounding goes no further).
WeightDistribution Distribution(const Tensor& reference, const Tensor& dequantized, const Tensor& scale, int64_t axis,
                                int bins = 64) {
  WeightDistribution d;
  const float* r = reference.data<float>();
  const float* q = dequantized.data<float>();
  const int64_t n = reference.size();
  d.lo = *std::min_element(r, r + n);
  d.hi = *std::max_element(r, r + n);
  d.float_counts.assign(static_cast<size_t>(bins), 0);
  d.dequantized_counts.assign(static_cast<size_t>(bins), 0);
  const double width = (static_cast<double>(d.hi) - d.lo) / bins;
  auto bin = [&](float v) { return static_cast<size_t>(std::clamp<double>(width > 0 ? (v - d.lo) / width : 0, 0, bins - 1)); };
  int64_t clipped = 0;
  for (int64_t i = 0; i < n; ++i) {
    ++d.float_counts[bin(r[i])];
    ++d.dequantized_counts[bin(q[i])];
    clipped += std::abs(r[i] - q[i]) > 0.5f * StepAt(scale, dequantized, axis, i) * 1.001f;
  }
  d.clipped_fraction = n ? static_cast<double>(clipped) / static_cast<double>(n) : 0;
  const int64_t channels = reference.rank() > 0 ? reference.dim(0) : 1, per_channel = channels ? n / channels : 0;
  for (int64_t c = 0; c < channels && per_channel > 0; ++c)
    d.channel_ranges.emplace_back(*std::min_element(r + c * per_channel, r + (c + 1) * per_channel),
                                  *std::max_element(r + c * per_channel, r + (c + 1) * per_channel));
  return d;
}

void RankWorstFirst(std::vector<TensorError>& list) {
  std::stable_sort(list.begin(), list.end(), [](const TensorError& a, const TensorError& b) { return a.error.sqnr_db < b.error.sqnr_db; });
}

}  // namespace

Result<LayerErrorReport> AnalyzeLayerError(const Model& float_model, const Model& quantized, const Tensor& data,
                                           int64_t batch_size, const ProgressFn& progress) {
  if (float_model.graph.inputs.size() != 1)
    return Fail(StatusCode::kInvalidArgument, "the analysis feeds one input; the model has ", float_model.graph.inputs.size());
  if (data.rank() == 0 || data.dim(0) == 0) return Fail(StatusCode::kInvalidArgument, "the analysis data is empty");
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
  for (const Node& n : q.nodes) {
    if (!IsDequantize(n)) continue;
    auto source = producer.find(n.inputs[0]);
    if (source != producer.end() && IsQuantize(*source->second)) float_name_of[n.outputs[0]] = source->second->inputs[0];
  }
  // Weights: a constant dequantized into an input of a node the float model has too.
  for (const Node& n : q.nodes) {
    if (IsDequantize(n) || IsQuantize(n)) continue;
    auto original = float_nodes.find(n.name);
    for (size_t i = 0; i < n.inputs.size() && original != float_nodes.end(); ++i) {
      auto dq = producer.find(n.inputs[i]);
      if (dq == producer.end() || !IsDequantize(*dq->second) || !q.IsInitializer(dq->second->inputs[0])) continue;
      if (i >= original->second->inputs.size() || !prepared.graph.IsInitializer(original->second->inputs[i])) continue;
      const Tensor& reference = prepared.graph.initializers.at(original->second->inputs[i]);
      auto values = EvaluateConstantNode(quantized, *dq->second);
      if (!values.ok()) return values.status();
      ErrorAccumulator acc;
      if (!acc.Add(reference, *values).ok()) continue;  // a bias folded differently, say: not comparable
      int64_t axis = dq->second->GetInt("axis", 1);
      const Tensor& scale = q.initializers.count(dq->second->inputs[1]) ? q.initializers.at(dq->second->inputs[1]) : Tensor();
      if (scale.empty() || (scale.size() > 1 && !NormalizeAxis(axis, values->rank()))) continue;
      report.weights.push_back({original->second->inputs[i], n.name, n.op_type, acc.Result(), Distribution(reference, *values, scale, axis)});
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

  const std::string input = prepared.graph.inputs[0];
  std::map<std::string, ErrorAccumulator> errors;
  report.samples = data.dim(0);
  const int64_t batch = std::max<int64_t>(batch_size, 1);
  for (int64_t start = 0; start < report.samples; start += batch) {
    const Tensor slice = data.SliceRows(start, std::min(batch, report.samples - start));
    TensorMap float_values;
    if (needed.count(input)) float_values[input] = slice;
    auto run = float_session->Run({{input, slice}}, [&](const Node&, const std::string& name, const Tensor& t) {
      if (needed.count(name)) float_values[name] = t;
    });
    if (!run.ok()) return run.status();
    Status mismatch = Status::Ok();
    auto compared = quantized_session->Run({{input, slice}}, [&](const Node&, const std::string& name, const Tensor& t) {
      auto pair = float_name_of.find(name);
      if (pair == float_name_of.end() || !float_values.count(pair->second) || !mismatch.ok()) return;
      mismatch = errors[pair->second].Add(float_values.at(pair->second), t).WithContext("tensor '" + pair->second + "'");
    });
    if (!compared.ok()) return compared.status().WithContext("compared model");
    QPLAY_RETURN_IF_ERROR(mismatch);
    if (progress && !progress(start + slice.dim(0), report.samples)) return Fail(StatusCode::kCancelled, "analysis cancelled");
  }
  for (const auto& [name, acc] : errors) {
    auto p = float_producer.find(name);
    report.activations.push_back({name, p == float_producer.end() ? "(input)" : p->second->name,
                                  p == float_producer.end() ? "" : p->second->op_type, acc.Result()});
  }
  RankWorstFirst(report.activations);
  RankWorstFirst(report.weights);
  return report;
}

std::string LayerErrorReport::ToJson() const {
  auto list = [](const std::vector<TensorError>& errors, bool with_distribution) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : errors) {
      nlohmann::json j = qplay::ToJson(e.error);
      j["tensor"] = e.tensor;
      j["node"] = e.node;
      j["op_type"] = e.op_type;
      if (with_distribution) {
        const WeightDistribution& d = e.distribution;
        j["histogram"] = {{"lo", d.lo}, {"hi", d.hi}, {"float", d.float_counts}, {"dequantized", d.dequantized_counts}};
        j["channel_ranges"] = d.channel_ranges;
        j["clipped_fraction"] = d.clipped_fraction;
      }
      out.push_back(j);
    }
    return out;
  };
  return nlohmann::json{{"samples", samples}, {"activations", list(activations, false)}, {"weights", list(weights, true)}}.dump(2);
}

}  // namespace qplay
