#include "quant/smooth_quant.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "ops/elementwise.h"
#include "ops/matmul.h"
#include "ops/normalization.h"
#include "passes/graph_edit.h"
#include "runtime/sample_feeds.h"

namespace qplay {
namespace {

// Nodes that multiply activation X (input 0) by a constant weight with K = X's last dim.
struct Group {
  std::vector<size_t> readers;
  int64_t channels = 0;
  std::vector<double> act_max;  // per channel of X, over the samples
};

// The weight of reader `n` as K rows: element (j, o) of W.
float& WeightAt(Tensor& w, const Node& n, int64_t j, int64_t o) {
  const bool transposed = IsOp(n, ops::kGemm) && n.GetInt("transB", 0);
  return transposed ? w.data<float>()[o * w.dim(1) + j] : w.data<float>()[j * w.dim(1) + o];
}

int64_t KOf(const Tensor& w, const Node& n) { return IsOp(n, ops::kGemm) && n.GetInt("transB", 0) ? w.dim(1) : w.dim(0); }

std::map<std::string, Group> FindGroups(const Graph& g) {
  std::map<std::string, Group> groups;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    const bool op = IsOp(n, ops::kMatMul) || (IsOp(n, ops::kGemm) && !n.GetInt("transA", 0));
    if (!op || n.inputs.size() < 2 || g.IsInitializer(n.inputs[0]) || !g.IsInitializer(n.inputs[1])) continue;
    const Tensor& w = g.initializers.at(n.inputs[1]);
    if (w.dtype() != DataType::kFloat || w.rank() != 2 || Consumers(g, n.inputs[1]).size() != 1) continue;
    Group& group = groups[n.inputs[0]];
    if (group.channels && group.channels != KOf(w, n)) continue;
    group.channels = KOf(w, n);
    group.readers.push_back(i);
  }
  return groups;
}

void ObserveAbsMax(const std::string& name, const Tensor& t, std::map<std::string, Group>& groups) {
  auto it = groups.find(name);
  if (it == groups.end() || t.dtype() != DataType::kFloat || t.rank() == 0 || t.dim(t.rank() - 1) != it->second.channels) return;
  Group& group = it->second;
  if (group.act_max.empty()) group.act_max.assign(static_cast<size_t>(group.channels), 0.0);
  for (int64_t i = 0; i < t.size(); ++i) {
    double& m = group.act_max[static_cast<size_t>(i % group.channels)];
    m = std::max(m, static_cast<double>(std::abs(t.data<float>()[i])));
  }
}

// True when X comes from a LayerNormalization over its last axis with constant scale and
// bias that only the group's nodes read: the division can go into that scale and bias.
const Node* FoldableLayerNorm(const Graph& g, const std::string& x, const Group& group) {
  for (const Node& n : g.nodes) {
    if (n.outputs.empty() || n.outputs[0] != x) continue;
    const bool last_axis = n.GetInt("axis", -1) == -1;
    const bool constants = n.inputs.size() > 2 && g.IsInitializer(n.inputs[1]) && g.IsInitializer(n.inputs[2]) &&
                           Consumers(g, n.inputs[1]).size() == 1 && Consumers(g, n.inputs[2]).size() == 1;
    const bool only_group = Consumers(g, x).size() == group.readers.size() && !IsGraphOutput(g, x);
    return IsOp(n, ops::kLayerNormalization) && last_axis && constants && only_group ? &n : nullptr;
  }
  return nullptr;
}

}  // namespace

Result<PassReport> SmoothActivations(Model& model, const SampleSet& samples, double alpha, int64_t limit) {
  PassReport report{"SmoothQuant", {}};
  Graph& g = model.graph;
  std::map<std::string, Group> groups = FindGroups(g);
  if (groups.empty()) return report;
  auto feeds = SampleFeeds::Bind(g, samples, "calibration");
  if (!feeds.ok()) return feeds.status();
  auto session = Session::Create(model);
  if (!session.ok()) return session.status();
  QPLAY_RETURN_IF_ERROR(ObserveSamples(*session, limit > 0 ? feeds->Head(limit) : *feeds,
                                       [&](const std::string& name, const Tensor& t) { ObserveAbsMax(name, t, groups); }));

  std::vector<Node> inserted;
  for (auto& [x, group] : groups) {
    if (group.act_max.empty()) continue;
    std::vector<double> w_max(static_cast<size_t>(group.channels), 0.0);
    for (size_t r : group.readers) {
      Tensor& w = g.initializers.at(g.nodes[r].inputs[1]);
      const int64_t outputs = w.size() / group.channels;
      for (int64_t j = 0; j < group.channels; ++j)
        for (int64_t o = 0; o < outputs; ++o) w_max[j] = std::max(w_max[j], static_cast<double>(std::abs(WeightAt(w, g.nodes[r], j, o))));
    }
    std::vector<double> s(static_cast<size_t>(group.channels), 1.0);
    double largest = 1;
    for (size_t j = 0; j < s.size(); ++j) {
      if (group.act_max[j] > 0 && w_max[j] > 0)
        s[j] = std::clamp(std::pow(group.act_max[j], alpha) / std::pow(w_max[j], 1 - alpha), 1e-5, 1e5);
      largest = std::max({largest, s[j], 1 / s[j]});
    }
    for (size_t r : group.readers) {
      Node& reader = g.nodes[r];
      Tensor w = g.initializers.at(reader.inputs[1]).Clone();
      const int64_t outputs = w.size() / group.channels;
      for (int64_t j = 0; j < group.channels; ++j)
        for (int64_t o = 0; o < outputs; ++o) WeightAt(w, reader, j, o) = static_cast<float>(WeightAt(w, reader, j, o) * s[j]);
      g.initializers[reader.inputs[1]] = w;
    }
    std::string how;
    if (const Node* ln = FoldableLayerNorm(g, x, group)) {
      for (size_t i : {1, 2}) {
        Tensor t = g.initializers.at(ln->inputs[i]).Clone();
        for (int64_t j = 0; j < t.size(); ++j) t.data<float>()[j] = static_cast<float>(t.data<float>()[j] / s[static_cast<size_t>(j)]);
        g.initializers[ln->inputs[i]] = t;
      }
      how = "folded into " + ln->Describe();
    } else {
      Tensor inverse(DataType::kFloat, {group.channels});
      for (int64_t j = 0; j < group.channels; ++j) inverse.data<float>()[j] = static_cast<float>(1 / s[static_cast<size_t>(j)]);
      const std::string scale = FreshName(g, x + "_smooth_scale");
      g.initializers[scale] = inverse;
      const Node mul = MakeNode(ops::kMul, FreshName(g, x + "_smooth"), {x, scale}, {FreshName(g, x + "_smoothed")});
      g.value_types[mul.outputs[0]] = ValueType{};
      for (size_t r : group.readers) g.nodes[r].inputs[0] = mul.outputs[0];
      inserted.push_back(mul);
      how = "by a Mul before them";
    }
    std::ostringstream line;
    line << "'" << x << "' smoothed for " << group.readers.size() << " node(s), " << how << "; largest factor " << largest;
    report.changes.push_back(line.str());
  }
  g.nodes.insert(g.nodes.end(), inserted.begin(), inserted.end());
  QPLAY_RETURN_IF_ERROR(FinishRewrite(model));
  return report;
}

}  // namespace qplay
