#include "graph/shape_inference.h"

#include "kernels/registry.h"
#include "ops/schema.h"

namespace qplay {
namespace {

// Nodes are folded at load only when their inputs and their inferred outputs each add up to at
// most this many elements: folding is for shape arithmetic, and a hostile ConstantOfShape or
// Expand must not allocate its output while the model loads.
constexpr int64_t kFoldLimit = 4096;

// True when every output's shape is inferred and all of them hold at most kFoldLimit elements.
bool SmallOutputs(const std::vector<ValueInfo>& outputs, size_t count) {
  if (outputs.size() < count) return false;
  int64_t total = 0;
  for (size_t i = 0; i < count; ++i) {
    if (!outputs[i].shape) return false;
    Shape dims;
    for (const Dim& d : *outputs[i].shape) {
      if (!d.known()) return false;
      dims.push_back(*d.value);
    }
    const std::optional<int64_t> n = CheckedNumElements(dims);
    if (!n || (total += *n) > kFoldLimit) return false;
  }
  return true;
}

bool HasSubgraph(const Node& node) {
  for (const auto& [_, attr] : node.attributes)
    if (attr.g) return true;
  return false;
}

class Inferencer {
 public:
  explicit Inferencer(const Model& model) : model_(model) {}

  Status InferGraph(Graph& graph, std::map<std::string, ValueInfo> scope) {
    for (const auto& name : graph.inputs) scope[name] = FromType(graph.TypeOf(name));
    for (const auto& [name, tensor] : graph.initializers)
      scope[name] = {tensor.dtype(), KnownDims(tensor.shape()), {}, tensor};
    for (Node& node : graph.nodes) {
      std::vector<ValueInfo> inputs;
      for (const auto& name : node.inputs) {
        auto it = scope.find(name);
        inputs.push_back(name.empty() || it == scope.end() ? ValueInfo{} : it->second);
      }
      auto outputs = Infer(node, inputs, scope);
      if (!outputs.ok()) return outputs.status();
      outputs->resize(node.outputs.size());
      for (size_t i = 0; i < node.outputs.size(); ++i) {
        if (node.outputs[i].empty()) continue;
        ValueInfo& out = (*outputs)[i];
        const ValueType* declared = graph.TypeOf(node.outputs[i]);
        if (declared && out.dtype == DataType::kUndefined) out.dtype = declared->dtype;
        if (declared && !out.shape) out.shape = declared->shape;
        if (out.dtype != DataType::kUndefined || out.shape) graph.value_types[node.outputs[i]] = {out.dtype, out.shape, true};
        scope[node.outputs[i]] = std::move(out);
      }
    }
    return Status::Ok();
  }

 private:
  static ValueInfo FromType(const ValueType* type) {
    return type && type->is_tensor ? ValueInfo::Typed(type->dtype, type->shape) : ValueInfo{};
  }

  Result<std::vector<ValueInfo>> Infer(const Node& node, const std::vector<ValueInfo>& in,
                                       const std::map<std::string, ValueInfo>& scope) {
    const int64_t opset = model_.Opset(node.domain);
    const OpSchema* schema = SchemaRegistry::Get().Find(node.domain, node.op_type, opset);
    if (!schema) return std::vector<ValueInfo>{};
    QPLAY_RETURN_IF_ERROR(schema->Validate(node, in));
    Status failed;
    InferContext ctx(node, opset, in, [&](Graph& g) {
      if (failed.ok()) failed = InferGraph(g, scope);
    });
    std::vector<ValueInfo> outputs = schema->infer() ? schema->infer()(ctx) : std::vector<ValueInfo>{};
    QPLAY_RETURN_IF_ERROR(failed);
    // A node without inputs (Constant) holds its value in the file already.
    if (node.inputs.empty() || SmallOutputs(outputs, node.outputs.size()))
      if (auto folded = Fold(node, opset, in)) return *folded;
    return outputs;
  }

  // Evaluates a node whose inputs are all small constants with its reference kernel.
  static std::optional<std::vector<ValueInfo>> Fold(const Node& node, int64_t opset, const std::vector<ValueInfo>& in) {
    if (HasSubgraph(node)) return std::nullopt;
    KernelFn kernel = KernelRegistry::Get().Find(node.domain, node.op_type);
    if (!kernel) return std::nullopt;
    std::vector<const Tensor*> tensors;
    int64_t elements = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      if (node.inputs[i].empty()) {
        tensors.push_back(nullptr);
        continue;
      }
      if (!in[i].constant) return std::nullopt;
      elements += in[i].constant->size();
      tensors.push_back(&*in[i].constant);
    }
    if (elements > kFoldLimit) return std::nullopt;
    while (!tensors.empty() && !tensors.back()) tensors.pop_back();
    KernelContext ctx(node, opset, tensors, nullptr);
    if (!Invoke(kernel, ctx).ok()) return std::nullopt;
    std::vector<ValueInfo> out;
    for (const Tensor& t : ctx.outputs())
      out.push_back(t.empty() ? ValueInfo{} : ValueInfo{t.dtype(), KnownDims(t.shape()), {}, t});
    return out;
  }

  const Model& model_;
};

}  // namespace

Status InferShapes(Model& model) { return Inferencer(model).InferGraph(model.graph, {}); }

}  // namespace qplay
