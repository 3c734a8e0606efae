// What shape inference knows about one value, the context an op's inference function sees,
// and the arithmetic on symbolic dimensions those functions share.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "ir/ir.h"

namespace qplay {

using Dims = std::vector<Dim>;

// Element type, shape, and for small integer tensors the elements themselves (numbers or
// symbols, so that Shape -> Gather -> Concat -> Reshape keeps a dynamic batch), and for
// constants the whole tensor.
struct ValueInfo {
  DataType dtype = DataType::kUndefined;
  std::optional<Dims> shape;
  std::optional<Dims> elements;
  std::optional<Tensor> constant;

  static ValueInfo Typed(DataType dtype, std::optional<Dims> shape = std::nullopt) {
    return ValueInfo{dtype, std::move(shape), {}, {}};
  }
  int64_t rank() const { return shape ? static_cast<int64_t>(shape->size()) : -1; }
};

class InferContext {
 public:
  // Infers a subgraph (If/Loop body) with the enclosing scope's values visible.
  using SubgraphFn = std::function<void(Graph&)>;

  InferContext(const Node& node, int64_t opset, const std::vector<ValueInfo>& inputs, SubgraphFn infer_subgraph)
      : node(node), opset(opset), inputs_(inputs), infer_subgraph_(std::move(infer_subgraph)) {}

  const Node& node;
  const int64_t opset;

  size_t num_inputs() const { return inputs_.size(); }
  size_t num_outputs() const { return node.outputs.size(); }
  // True when input i is given (optional inputs may be omitted or "").
  bool has(size_t i) const { return i < node.inputs.size() && !node.inputs[i].empty(); }
  const ValueInfo& in(size_t i) const;
  const std::vector<ValueInfo>& inputs() const { return inputs_; }
  void InferSubgraph(Graph& graph) const { infer_subgraph_(graph); }

  // Outputs of the first input's type and an unknown shape (what an op gives when its
  // inputs' shapes are not known well enough).
  std::vector<ValueInfo> Unknown(DataType dtype) const { return {ValueInfo::Typed(dtype)}; }

 private:
  const std::vector<ValueInfo>& inputs_;
  SubgraphFn infer_subgraph_;
};

// Normalizes a possibly negative axis against `rank`; returns false when out of range.
inline bool NormalizeAxis(int64_t& axis, int64_t rank) {
  if (axis < 0) axis += rank;
  return axis >= 0 && axis < rank;
}

bool SameDim(const Dim& a, const Dim& b);
Dims KnownDims(const Shape& shape);
// Product of dims[begin, end): a number when all are known, the symbol when one symbol times ones.
Dim Product(const Dims& dims, size_t begin, size_t end);
// The arithmetic shape elements go through, named by its sign.
enum class DimOp : char { kAdd = '+', kSub = '-', kMul = '*', kDiv = '/' };
// a op b for shape elements; symbolic operands give an expression ("batch*2").
Dim DimArithmetic(DimOp op, const Dim& a, const Dim& b);
// Numpy-style broadcast of the given shapes; nullopt when one is unknown.
std::optional<Dims> Broadcast(const std::vector<const std::optional<Dims>*>& shapes);
// Integer elements of a value: from its constant or its tracked elements.
std::optional<Dims> Elements(const ValueInfo& info);
// Those elements when every one is a known number.
std::optional<std::vector<int64_t>> KnownInts(const ValueInfo& info);
// An optional list input (axes, split) at opset 13+ or the attribute of the same name before:
// the list, empty when absent, nullopt when given but not known.
std::optional<std::vector<int64_t>> ListInputOrAttr(const InferContext& ctx, size_t input, const std::string& attr,
                                                    int64_t input_since);

// Inference functions shared by many ops.
std::vector<ValueInfo> SameAsInput(InferContext& ctx);       // output 0: input 0's type and shape
std::vector<ValueInfo> BroadcastInputs(InferContext& ctx);   // output 0: input 0's type, all inputs broadcast

}  // namespace qplay
