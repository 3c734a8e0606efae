#include "quant/bias_correction.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "ops/conv.h"
#include "ops/matmul.h"
#include "ops/quantize.h"
#include "passes/graph_edit.h"
#include "runtime/sample_feeds.h"

namespace qplay {
namespace {

// A Conv or Gemm with a constant per-channel float bias whose weight the quantized model
// stores quantized: its weight error W - W_q and the mean of each channel of its (quantized)
// input over the samples.
struct Layer {
  const Node* node = nullptr;        // in the prepared float model
  std::string input;                 // the quantized model's input tensor of the node
  Tensor error;                      // W - W_q, in W's layout
  std::vector<double> input_sums;    // per input channel
  int64_t per_channel_count = 0;
};

int64_t InputChannelAxis(const Node& n, const Tensor& x) { return IsOp(n, ops::kConv) ? 1 : x.rank() - 1; }

// shift[o] = sum over the weights of output o of (W - W_q) x mean input of that weight's channel.
std::vector<double> Shift(const Layer& layer) {
  const Node& n = *layer.node;
  const Tensor& e = layer.error;
  std::vector<double> mean(layer.input_sums.size());
  for (size_t c = 0; c < mean.size(); ++c) mean[c] = layer.input_sums[c] / static_cast<double>(layer.per_channel_count);
  if (IsOp(n, ops::kConv)) {  // W [M, C/group, k...]
    const int64_t m = e.dim(0), cpg = e.dim(1), taps = e.size() / (m * cpg), group = n.GetInt("group", 1);
    std::vector<double> shift(static_cast<size_t>(m), 0.0);
    for (int64_t o = 0; o < m; ++o)
      for (int64_t c = 0; c < cpg; ++c) {
        const double x = mean[static_cast<size_t>((o / (m / group)) * cpg + c)];
        for (int64_t k = 0; k < taps; ++k) shift[static_cast<size_t>(o)] += e.data<float>()[(o * cpg + c) * taps + k] * x;
      }
    return shift;
  }
  const bool transposed = n.GetInt("transB", 0) != 0;  // Gemm: W [K, N], or [N, K] with transB
  const int64_t k_dim = transposed ? e.dim(1) : e.dim(0), outputs = transposed ? e.dim(0) : e.dim(1);
  std::vector<double> shift(static_cast<size_t>(outputs), 0.0);
  for (int64_t o = 0; o < outputs; ++o)
    for (int64_t k = 0; k < k_dim; ++k)
      shift[static_cast<size_t>(o)] += e.data<float>()[transposed ? o * k_dim + k : k * outputs + o] * mean[static_cast<size_t>(k)];
  return shift;
}

}  // namespace

Result<PassReport> CorrectBiases(Model& prepared, const Model& quantized, const SampleSet& samples, int64_t limit) {
  PassReport report{"bias correction", {}};
  std::map<std::string, const Node*> producer, quantized_nodes;
  for (const Node& n : quantized.graph.nodes) {
    quantized_nodes[n.name] = &n;
    for (const auto& out : n.outputs) producer[out] = &n;
  }
  std::map<std::string, Layer> layers;  // by the quantized model's input tensor name
  for (const Node& n : prepared.graph.nodes) {
    const Graph& g = prepared.graph;
    const bool op = IsAnyOp(n, ops::kConv, ops::kGemm) && !n.GetInt("transA", 0);
    if (!op || n.inputs.size() < 3 || !g.IsInitializer(n.inputs[1]) || !g.IsInitializer(n.inputs[2])) continue;
    auto q = quantized_nodes.find(n.name);
    if (q == quantized_nodes.end() || q->second->inputs.size() < 2) continue;
    auto dq = producer.find(q->second->inputs[1]);
    if (dq == producer.end() || !IsDequantizeLinear(*dq->second)) continue;
    auto weight_q = EvaluateConstantNode(quantized, *dq->second);
    const Tensor& w = g.initializers.at(n.inputs[1]);
    if (!weight_q.ok() || weight_q->shape() != w.shape() || g.initializers.at(n.inputs[2]).dtype() != DataType::kFloat) continue;
    Tensor error = w.Clone();
    for (int64_t i = 0; i < error.size(); ++i) error.data<float>()[i] -= weight_q->data<float>()[i];
    layers[q->second->inputs[0]] = Layer{&n, q->second->inputs[0], error, {}, 0};
  }
  if (layers.empty()) return report;

  auto feeds = SampleFeeds::Bind(prepared.graph, samples, "calibration");
  if (!feeds.ok()) return feeds.status();
  SessionOptions simulate;
  simulate.qdq = QdqExecution::kFloatSimulation;  // the layers' quantized inputs exist by name
  auto session = Session::Create(quantized, simulate);
  if (!session.ok()) return session.status();
  auto accumulate = [&](const std::string& name, const Tensor& t) {
    auto layer = layers.find(name);
    if (layer == layers.end() || t.dtype() != DataType::kFloat) return;
    Layer& l = layer->second;
    const int64_t axis = InputChannelAxis(*l.node, t), channels = t.dim(axis);
    int64_t inner = 1;
    for (int64_t d = axis + 1; d < t.rank(); ++d) inner *= t.dim(d);
    if (l.input_sums.empty()) l.input_sums.assign(static_cast<size_t>(channels), 0.0);
    for (int64_t i = 0; i < t.size(); ++i) l.input_sums[static_cast<size_t>((i / inner) % channels)] += t.data<float>()[i];
    l.per_channel_count += t.size() / channels;
  };
  QPLAY_RETURN_IF_ERROR(ObserveSamples(*session, limit > 0 ? feeds->Head(limit) : *feeds, accumulate));
  for (auto& [_, layer] : layers) {
    if (layer.per_channel_count == 0) continue;
    const std::vector<double> shift = Shift(layer);
    const std::string& bias_name = layer.node->inputs[2];
    Tensor bias = prepared.graph.initializers.at(bias_name).Clone();
    if (bias.size() != static_cast<int64_t>(shift.size())) continue;
    double largest = 0;
    for (int64_t i = 0; i < bias.size(); ++i) {
      bias.data<float>()[i] = static_cast<float>(bias.data<float>()[i] + shift[static_cast<size_t>(i)]);
      largest = std::max(largest, std::abs(shift[static_cast<size_t>(i)]));
    }
    prepared.graph.initializers[bias_name] = bias;
    std::ostringstream line;
    line << layer.node->Describe() << ": bias corrected, largest shift " << largest;
    report.changes.push_back(line.str());
  }
  return report;
}

}  // namespace qplay
