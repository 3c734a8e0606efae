#include "analysis/profile.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "ops/schema.h"
#include "runtime/session.h"

namespace qplay {
namespace {

using Clock = std::chrono::steady_clock;

struct Sizes {
  std::map<std::string, Shape> shapes;
  std::map<std::string, int64_t> bytes;
  void Add(const std::string& name, const Tensor& t) {
    shapes[name] = t.shape();
    bytes[name] = static_cast<int64_t>(t.nbytes());
  }
};

// The node's MACs as its op schema counts them from the shapes seen in the run.
int64_t Macs(const Node& node, int64_t opset, const Sizes& sizes) {
  const OpSchema* schema = SchemaRegistry::Get().Find(node.domain, node.op_type, opset);
  if (!schema || !schema->macs()) return 0;
  std::vector<Shape> inputs, outputs;
  for (const auto& [names, shapes] : {std::pair{&node.inputs, &inputs}, std::pair{&node.outputs, &outputs}}) {
    for (const auto& name : *names) {
      auto it = sizes.shapes.find(name);
      if (it == sizes.shapes.end()) break;  // the rest is unknown (omitted or not produced)
      shapes->push_back(it->second);
    }
  }
  return schema->macs()(node, inputs, outputs);
}

}  // namespace

Result<ModelProfile> ProfileModel(const Model& model, const TensorMap& feeds, int runs) {
  auto session = Session::Create(model, {.optimize = true});
  if (!session.ok()) return session.status();
  const Graph& graph = session->model().graph;
  auto warm = session->Run(feeds);  // packs weights, fills caches
  if (!warm.ok()) return warm.status();

  std::map<const Node*, size_t> index;
  for (size_t n = 0; n < graph.nodes.size(); ++n) index[&graph.nodes[n]] = n;
  std::vector<std::vector<double>> times(graph.nodes.size());
  Sizes sizes;
  for (const auto& [name, t] : feeds) sizes.Add(name, t);
  for (const auto& [name, t] : graph.initializers) sizes.Add(name, t);
  for (int r = 0; r < std::max(runs, 1); ++r) {
    Clock::time_point mark = Clock::now();
    const Node* last = nullptr;
    auto run = session->Run(feeds, [&](const Node& node, const std::string& name, const Tensor& t) {
      auto at = index.find(&node);
      if (at == index.end()) return;  // inside a subgraph: counted in its If/Loop node
      sizes.Add(name, t);
      if (&node == last) return;      // a further output of the same node
      const Clock::time_point now = Clock::now();
      times[at->second].push_back(std::chrono::duration<double, std::milli>(now - mark).count());
      mark = now;
      last = &node;
    });
    if (!run.ok()) return run.status();
  }

  ModelProfile profile;
  for (const auto& [_, t] : model.graph.initializers) profile.parameter_bytes += PackedBytes(t.dtype(), t.size());
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const Node& node = graph.nodes[n];
    std::vector<double>& samples = times[n];
    std::sort(samples.begin(), samples.end());
    NodeProfile p{node.name, (node.domain.empty() ? "" : node.domain + ".") + node.op_type,
                  samples.empty() ? 0.0 : samples[samples.size() / 2], Macs(node, session->model().Opset(node.domain), sizes), 0};
    for (const auto& names : {node.inputs, node.outputs})
      for (const auto& name : names)
        if (sizes.bytes.count(name)) p.bytes += sizes.bytes.at(name);
    OpTypeProfile& op = profile.op_types[p.op_type];
    ++op.count;
    op.ms += p.ms;
    op.macs += p.macs;
    op.bytes += p.bytes;
    profile.total_ms += p.ms;
    profile.nodes.push_back(std::move(p));
  }
  return profile;
}

std::string ModelProfile::ToJson() const {
  nlohmann::json j = {{"total_ms", total_ms}, {"parameter_bytes", parameter_bytes}};
  j["nodes"] = nlohmann::json::array();
  for (const auto& n : nodes) j["nodes"].push_back({{"name", n.name}, {"op_type", n.op_type}, {"ms", n.ms}, {"macs", n.macs}, {"bytes", n.bytes}});
  for (const auto& [op, p] : op_types) j["op_types"][op] = {{"count", p.count}, {"ms", p.ms}, {"macs", p.macs}, {"bytes", p.bytes}};
  return j.dump(2);
}

}  // namespace qplay
