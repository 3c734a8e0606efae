#include "ir/ir.h"
#include "ir/model.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <set>
#include <sstream>

namespace qplay {

std::string Dim::ToString() const {
  if (value) return std::to_string(*value);
  return symbol.empty() ? "?" : symbol;
}

std::string ValueType::ShapeString() const {
  if (!shape) return "(unknown rank)";
  std::string s = "[";
  for (size_t i = 0; i < shape->size(); ++i) s += (i ? ", " : "") + (*shape)[i].ToString();
  return s + "]";
}

int64_t Node::GetInt(const std::string& attr, int64_t fallback) const {
  auto it = attributes.find(attr);
  return it == attributes.end() ? fallback : it->second.i;
}

float Node::GetFloat(const std::string& attr, float fallback) const {
  auto it = attributes.find(attr);
  return it == attributes.end() ? fallback : it->second.f;
}

std::string Node::GetString(const std::string& attr, const std::string& fallback) const {
  auto it = attributes.find(attr);
  return it == attributes.end() ? fallback : it->second.s;
}

std::vector<int64_t> Node::GetInts(const std::string& attr, std::vector<int64_t> fallback) const {
  auto it = attributes.find(attr);
  return it == attributes.end() ? fallback : it->second.ints;
}

std::vector<float> Node::GetFloats(const std::string& attr, std::vector<float> fallback) const {
  auto it = attributes.find(attr);
  return it == attributes.end() ? fallback : it->second.floats;
}

std::string Node::Describe() const {
  std::string op = domain.empty() || domain == "ai.onnx" ? op_type : domain + "." + op_type;
  return "node '" + (name.empty() ? (outputs.empty() ? std::string("?") : outputs[0]) : name) + "' (" + op + ")";
}

const ValueType* Graph::TypeOf(const std::string& name) const {
  auto it = value_types.find(name);
  return it == value_types.end() ? nullptr : &it->second;
}

std::vector<std::string> Graph::OuterScopeNames() const {
  std::set<std::string> defined(inputs.begin(), inputs.end());
  for (const auto& [name, _] : initializers) defined.insert(name);
  for (const auto& [name, _] : unreadable) defined.insert(name);
  for (const Node& node : nodes) defined.insert(node.outputs.begin(), node.outputs.end());
  std::set<std::string> outer;
  auto use = [&](const std::string& name) {
    if (!name.empty() && !defined.count(name)) outer.insert(name);
  };
  for (const Node& node : nodes) {
    for (const auto& in : node.inputs) use(in);
    for (const auto& [_, attr] : node.attributes)
      if (attr.g)
        for (const auto& name : attr.g->OuterScopeNames()) use(name);
  }
  for (const auto& out : outputs) use(out);
  return {outer.begin(), outer.end()};
}

std::vector<std::string> ValuesRead(const Node& node) {
  std::vector<std::string> read = node.inputs;
  for (const auto& [_, attr] : node.attributes)
    if (attr.g)
      for (const auto& name : attr.g->OuterScopeNames()) read.push_back(name);
  return read;
}

Status TopologicalSort(Graph& graph, const std::vector<std::string>& outer) {
  std::set<std::string> available(outer.begin(), outer.end());
  available.insert(graph.inputs.begin(), graph.inputs.end());
  for (const auto& [name, _] : graph.initializers) available.insert(name);
  for (const auto& [name, _] : graph.unreadable) available.insert(name);

  std::map<std::string, size_t> producer;
  for (size_t i = 0; i < graph.nodes.size(); ++i)
    for (const auto& out : graph.nodes[i].outputs)
      if (!out.empty()) producer[out] = i;

  // Each node waits for the inputs (its own and its subgraphs' outer-scope names) that a node produces.
  std::vector<std::vector<size_t>> consumers(graph.nodes.size());
  std::vector<size_t> pending(graph.nodes.size(), 0);
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    std::set<size_t> waits_for;
    for (const auto& in : ValuesRead(node)) {
      if (in.empty() || available.count(in)) continue;
      auto it = producer.find(in);
      if (it == producer.end())
        return Fail(StatusCode::kInvalidModel, node.Describe(), " reads '", in,
                    "', which no node, graph input or initializer produces");
      waits_for.insert(it->second);
    }
    for (size_t p : waits_for) consumers[p].push_back(i);
    pending[i] = waits_for.size();
  }

  // A min-heap keeps the original order wherever it is already valid.
  std::priority_queue<size_t, std::vector<size_t>, std::greater<size_t>> ready;
  for (size_t i = 0; i < graph.nodes.size(); ++i)
    if (pending[i] == 0) ready.push(i);
  std::vector<Node> ordered;
  ordered.reserve(graph.nodes.size());
  std::vector<bool> done(graph.nodes.size(), false);
  while (!ready.empty()) {
    size_t i = ready.top();
    ready.pop();
    done[i] = true;
    ordered.push_back(graph.nodes[i]);
    for (size_t c : consumers[i])
      if (--pending[c] == 0) ready.push(c);
  }
  if (ordered.size() != graph.nodes.size()) {
    std::ostringstream names;
    int listed = 0;
    for (size_t i = 0; i < graph.nodes.size() && listed < 5; ++i)
      if (!done[i]) names << (listed++ ? ", " : "") << graph.nodes[i].Describe();
    return Fail(StatusCode::kInvalidModel, "graph '", graph.name, "' has a cycle through ",
                graph.nodes.size() - ordered.size(), " nodes: ", names.str());
  }
  graph.nodes = std::move(ordered);
  return Status::Ok();
}

int64_t Model::DefaultOpset() const {
  auto it = opsets.find("");
  return it == opsets.end() ? 1 : it->second;
}

int64_t Model::Opset(const std::string& domain) const {
  auto it = opsets.find(domain);
  return it == opsets.end() ? 0 : it->second;
}

void ReplaceUses(Graph& graph, const std::string& from, const std::string& to) {
  for (Node& node : graph.nodes) {
    std::replace(node.inputs.begin(), node.inputs.end(), from, to);
    for (auto& [_, attr] : node.attributes)
      if (attr.g) ReplaceUses(*attr.g, from, to);
  }
  std::replace(graph.outputs.begin(), graph.outputs.end(), from, to);
}

std::string FreshName(const Graph& graph, const std::string& base) {
  std::set<std::string> taken(graph.inputs.begin(), graph.inputs.end());
  for (const auto& [name, _] : graph.initializers) taken.insert(name);
  for (const Node& node : graph.nodes) taken.insert(node.outputs.begin(), node.outputs.end());
  for (const auto& [name, _] : graph.value_types) taken.insert(name);
  std::string name = base;
  for (int i = 1; taken.count(name); ++i) name = base + "_" + std::to_string(i);
  return name;
}

}  // namespace qplay
