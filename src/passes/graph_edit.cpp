#include "passes/graph_edit.h"

#include <algorithm>
#include <set>

#include "graph/shape_inference.h"
#include "kernels/registry.h"

namespace qplay {

std::vector<size_t> Consumers(const Graph& graph, const std::string& value) {
  std::vector<size_t> out;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    bool reads = std::find(node.inputs.begin(), node.inputs.end(), value) != node.inputs.end();
    for (const auto& [_, attr] : node.attributes)
      if (attr.g) {
        auto outer = attr.g->OuterScopeNames();
        reads = reads || std::find(outer.begin(), outer.end(), value) != outer.end();
      }
    if (reads) out.push_back(i);
  }
  return out;
}

bool IsGraphOutput(const Graph& graph, const std::string& value) {
  return std::find(graph.outputs.begin(), graph.outputs.end(), value) != graph.outputs.end();
}

bool IsFloatValue(const Graph& graph, const std::string& name) {
  if (name.empty()) return false;
  auto init = graph.initializers.find(name);
  if (init != graph.initializers.end()) return init->second.dtype() == DataType::kFloat;
  const ValueType* t = graph.TypeOf(name);
  return t && t->dtype == DataType::kFloat;
}

const Tensor* FloatInitializer(const Graph& graph, const Node& node, size_t input) {
  if (input >= node.inputs.size() || node.inputs[input].empty()) return nullptr;
  auto it = graph.initializers.find(node.inputs[input]);
  return it != graph.initializers.end() && it->second.dtype() == DataType::kFloat ? &it->second : nullptr;
}

void RemoveUnusedInitializers(Graph& graph) {
  std::set<std::string> used(graph.outputs.begin(), graph.outputs.end());
  for (const Node& node : graph.nodes)
    for (const auto& name : ValuesRead(node)) used.insert(name);
  for (auto it = graph.initializers.begin(); it != graph.initializers.end();)
    it = used.count(it->first) ? std::next(it) : graph.initializers.erase(it);
}

Result<Tensor> EvaluateConstantNode(const Model& model, const Node& node) {
  std::vector<const Tensor*> inputs;
  for (const auto& name : node.inputs) {
    auto it = model.graph.initializers.find(name);
    if (it == model.graph.initializers.end()) return Fail(StatusCode::kInvalidArgument, node.Describe(), " reads '", name, "', not a constant");
    inputs.push_back(&it->second);
  }
  KernelFn kernel = KernelRegistry::Get().Find(node.domain, node.op_type);
  if (!kernel) return Fail(StatusCode::kUnsupported, node.Describe(), ": op ", node.op_type, " is not supported");
  auto opset = model.opsets.find(node.domain);
  KernelContext ctx(node, opset == model.opsets.end() ? 0 : opset->second, inputs, nullptr);
  QPLAY_RETURN_IF_ERROR(Invoke(kernel, ctx));
  return ctx.outputs()[0];
}

namespace {

// A writer names a node after the one it replaces: nodes made from unnamed nodes, or from one
// node twice, would share a name, which ONNX Runtime refuses. Later ones get a suffix.
void MakeNodeNamesUnique(Graph& graph) {
  std::set<std::string> seen;
  for (Node& node : graph.nodes) {
    if (node.name.empty()) continue;
    const std::string base = node.name;
    for (int i = 1; seen.count(node.name); ++i) node.name = base + "_" + std::to_string(i);
    seen.insert(node.name);
  }
}

}  // namespace

void ImportDomain(Model& model, const std::string& domain) {
  int64_t& version = model.opsets[domain];
  version = std::max<int64_t>(version, 1);
}

Status FinishRewrite(Model& model) {
  Graph& graph = model.graph;
  MakeNodeNamesUnique(graph);
  for (auto& [name, type] : std::map<std::string, ValueType>(graph.value_types))
    if (type.dtype == DataType::kUndefined && !type.shape) graph.value_types.erase(name);
  RemoveUnusedInitializers(graph);
  QPLAY_RETURN_IF_ERROR(TopologicalSort(graph));
  return InferShapes(model);
}

}  // namespace qplay
