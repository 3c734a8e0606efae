#include "passes/cross_layer_equalization.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "ops/conv.h"
#include "ops/schema.h"
#include "passes/graph_edit.h"

namespace qplay {
namespace {

struct ConvPair {
  size_t a, b;  // node indices: B reads A's output only through ops that commute with channel scales
};

bool IsConvWithConstantWeight(const Graph& g, const Node& n) {
  if (!IsOp(n, ops::kConv) || n.inputs.size() < 2 || !g.IsInitializer(n.inputs[1])) return false;
  const Tensor& w = g.initializers.at(n.inputs[1]);
  const bool bias_ok = n.inputs.size() < 3 || n.inputs[2].empty() || g.IsInitializer(n.inputs[2]);
  return w.dtype() == DataType::kFloat && w.rank() >= 3 && bias_ok;
}

// Channels of the activation between A and B, and whether each conv is dense (group 1) or
// depthwise (one input channel per output channel); other groupings are left alone.
bool Supported(const Graph& g, const Node& n) {
  const Tensor& w = g.initializers.at(n.inputs[1]);
  const int64_t group = n.GetInt("group", 1);
  return group == 1 || (w.dim(1) == 1 && group == w.dim(0));
}

std::vector<ConvPair> FindPairs(const Graph& g) {
  std::vector<ConvPair> pairs;
  for (size_t a = 0; a < g.nodes.size(); ++a) {
    if (!IsConvWithConstantWeight(g, g.nodes[a]) || !Supported(g, g.nodes[a])) continue;
    std::string value = g.nodes[a].outputs[0];
    for (;;) {
      if (IsGraphOutput(g, value)) break;
      const std::vector<size_t> readers = Consumers(g, value);
      if (readers.size() != 1) break;
      const Node& next = g.nodes[readers[0]];
      const OpSchema* schema = SchemaRegistry::Get().Latest(next.domain, next.op_type);
      if (schema && schema->quant().commutes_with_channel_scale) {
        if (next.outputs.size() > 1 && !next.outputs[1].empty()) break;  // MaxPool's Indices
        value = next.outputs[0];
        continue;
      }
      if (IsConvWithConstantWeight(g, next) && Supported(g, next) && next.inputs[0] == value) pairs.push_back({a, readers[0]});
      break;
    }
  }
  return pairs;
}

// Largest |w| of each slice along `axis` of a [d0, d1, ...] weight: output channels (axis 0)
// or input channels (axis 1).
std::vector<double> ChannelRanges(const Tensor& w, int64_t axis) {
  const int64_t inner = w.size() / (w.dim(0) * w.dim(1));
  std::vector<double> r(static_cast<size_t>(w.dim(axis)), 0.0);
  for (int64_t o = 0; o < w.dim(0); ++o)
    for (int64_t i = 0; i < w.dim(1); ++i)
      for (int64_t k = 0; k < inner; ++k) {
        const double v = std::abs(w.data<float>()[(o * w.dim(1) + i) * inner + k]);
        double& slot = r[static_cast<size_t>(axis == 0 ? o : i)];
        slot = std::max(slot, v);
      }
  return r;
}

void ScaleChannels(Tensor& w, int64_t axis, const std::vector<double>& factor) {
  const int64_t inner = w.size() / (w.dim(0) * w.dim(1));
  for (int64_t o = 0; o < w.dim(0); ++o)
    for (int64_t i = 0; i < w.dim(1); ++i)
      for (int64_t k = 0; k < inner; ++k) {
        float& v = w.data<float>()[(o * w.dim(1) + i) * inner + k];
        v = static_cast<float>(v * factor[static_cast<size_t>(axis == 0 ? o : i)]);
      }
}

// A's channel i is B's input channel i: axis 1 of a dense B's weight, axis 0 of a depthwise B's.
int64_t InputChannelAxis(const Graph& g, const Node& b) { return b.GetInt("group", 1) == 1 ? 1 : 0; }

// One equalization step for a pair; returns the largest |s_i - 1|.
double Equalize(Graph& g, const ConvPair& pair) {
  Node& a = g.nodes[pair.a];
  const Node& b = g.nodes[pair.b];
  Tensor wa = g.initializers.at(a.inputs[1]).Clone(), wb = g.initializers.at(b.inputs[1]).Clone();
  const int64_t b_axis = InputChannelAxis(g, b);
  const std::vector<double> r1 = ChannelRanges(wa, 0), r2 = ChannelRanges(wb, b_axis);
  if (r1.size() != r2.size()) return 0;
  std::vector<double> s(r1.size(), 1.0), inverse(r1.size(), 1.0);
  double change = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (r1[i] > 0 && r2[i] > 0) s[i] = std::sqrt(r1[i] / r2[i]);
    inverse[i] = 1.0 / s[i];
    change = std::max(change, std::abs(s[i] - 1.0));
  }
  ScaleChannels(wa, 0, inverse);
  ScaleChannels(wb, b_axis, s);
  g.initializers[a.inputs[1]] = wa;
  g.initializers[b.inputs[1]] = wb;
  if (a.inputs.size() > 2 && !a.inputs[2].empty()) {
    Tensor bias = g.initializers.at(a.inputs[2]).Clone();
    for (int64_t i = 0; i < bias.size(); ++i) bias.data<float>()[i] = static_cast<float>(bias.data<float>()[i] * inverse[i]);
    g.initializers[a.inputs[2]] = bias;
  }
  return change;
}

}  // namespace

Result<PassReport> EqualizeCrossLayer(Model& model, int max_iterations) {
  PassReport report{"cross-layer equalization", {}};
  Graph& g = model.graph;
  const std::vector<ConvPair> pairs = FindPairs(g);
  // Weights shared with other nodes cannot be rescaled for one of them.
  std::vector<ConvPair> usable;
  for (const ConvPair& p : pairs)
    if (Consumers(g, g.nodes[p.a].inputs[1]).size() == 1 && Consumers(g, g.nodes[p.b].inputs[1]).size() == 1 &&
        (g.nodes[p.a].inputs.size() < 3 || g.nodes[p.a].inputs[2].empty() || Consumers(g, g.nodes[p.a].inputs[2]).size() == 1))
      usable.push_back(p);
  int iterations = 0;
  for (; iterations < max_iterations; ++iterations) {
    double change = 0;
    for (const ConvPair& p : usable) change = std::max(change, Equalize(g, p));
    if (change < 1e-4) break;
  }
  for (const ConvPair& p : usable) {
    std::ostringstream line;
    line << g.nodes[p.a].Describe() << " and " << g.nodes[p.b].Describe() << " equalized (" << iterations << " rounds)";
    report.changes.push_back(line.str());
  }
  return report;
}

}  // namespace qplay
