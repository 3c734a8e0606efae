// What a kernel sees: the node, its inputs and the outputs to fill. Kernels are plain
// functions registered by op type (registry.h); they return a Status, never throw.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/ir.h"
#include "ops/value_info.h"

namespace qplay {

// Memory a session keeps per node between runs: what a kernel derived from constant inputs
// (weights packed for a GEMM, widened, with zero points folded in).
struct KernelCache {
  std::shared_ptr<const void> packed;
};

class KernelContext {
 public:
  using SubgraphRunner = std::function<Result<std::vector<Tensor>>(const Graph&, const std::vector<Tensor>&)>;

  KernelContext(const Node& node, int64_t opset, std::vector<const Tensor*> inputs, SubgraphRunner run_subgraph,
                KernelCache* cache = nullptr, const std::vector<bool>* constant_inputs = nullptr)
      : node(node), opset(opset), inputs_(std::move(inputs)), outputs_(node.outputs.size()),
        run_subgraph_(std::move(run_subgraph)), cache_(cache), constant_inputs_(constant_inputs) {}

  const Node& node;
  const int64_t opset;  // version of the node's domain that the model imports

  size_t num_inputs() const { return inputs_.size(); }
  // True when input i is present (optional inputs may be omitted or "").
  bool has(size_t i) const { return i < inputs_.size() && inputs_[i] != nullptr; }
  const Tensor& in(size_t i) const { return *inputs_[i]; }

  size_t num_outputs() const { return outputs_.size(); }
  bool wants(size_t i) const { return i < node.outputs.size() && !node.outputs[i].empty(); }
  Tensor& Output(size_t i, DataType dtype, Shape shape) { return outputs_[i] = Tensor(dtype, std::move(shape)); }
  // An output the kernel writes in full, so its memory is not zeroed first (fast kernels on
  // large activations, where the fill costs as much as a pooling).
  Tensor& OutputToOverwrite(size_t i, DataType dtype, Shape shape) {
    return outputs_[i] = Tensor::Uninitialized(dtype, std::move(shape));
  }
  void SetOutput(size_t i, Tensor tensor) { outputs_[i] = std::move(tensor); }
  // Call before creating an output whose shape comes from input values or attributes
  // (ConstantOfShape, Expand, Tile, Pad, Range, Resize): refuses sizes past MaxTensorBytes().
  Status CheckOutputSize(DataType dtype, const Shape& shape) const { return CheckTensorSize(dtype, shape, "the output"); }
  std::vector<Tensor>& outputs() { return outputs_; }

  // Runs a subgraph (If/Loop body) with the given inputs in the current scope.
  Result<std::vector<Tensor>> RunSubgraph(const Graph& graph, const std::vector<Tensor>& inputs = {}) const {
    return run_subgraph_(graph, inputs);
  }

  // True when input i is an initializer: the same tensor on every run.
  bool constant(size_t i) const { return constant_inputs_ && i < constant_inputs_->size() && (*constant_inputs_)[i]; }

  // `make()`'s result, kept in the node's cache when `from_constants` says it derives only
  // from constant inputs (then made once per session), else made for this call.
  template <typename T, typename Make>
  std::shared_ptr<const T> Derived(bool from_constants, Make make) {
    if (from_constants && cache_ && cache_->packed) return std::static_pointer_cast<const T>(cache_->packed);
    auto made = std::make_shared<const T>(make());
    if (from_constants && cache_) cache_->packed = made;
    return made;
  }

  template <typename... Parts>
  Status Unsupported(const Parts&... parts) const { return Fail(StatusCode::kUnsupported, parts...); }
  template <typename... Parts>
  Status Invalid(const Parts&... parts) const { return Fail(StatusCode::kInvalidArgument, parts...); }

 private:
  std::vector<const Tensor*> inputs_;
  std::vector<Tensor> outputs_;
  SubgraphRunner run_subgraph_;
  KernelCache* cache_;
  const std::vector<bool>* constant_inputs_;
};

using KernelFn = Status (*)(KernelContext&);

// Runs `kernel`: a tensor past the budget or memory that runs out (AllocationRefused,
// std::bad_alloc) and a size the standard library refuses (std::length_error) become its error.
// Everything that runs kernels outside another kernel goes through here.
Status Invoke(KernelFn kernel, KernelContext& ctx);

// Iterations a Loop may run before it fails (2^20 by default): a hostile trip count (2^62) or
// a condition that never turns false ends with an error instead of hanging the page. The
// CLI's --max-loop-iterations and the module's setMaxLoopIterations() change it.
inline constexpr int64_t kDefaultMaxLoopIterations = int64_t{1} << 20;
int64_t MaxLoopIterations();
void SetMaxLoopIterations(int64_t iterations);

}  // namespace qplay
