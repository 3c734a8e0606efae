// The reference runtime: executes a Model node by node in topological order. Every
// produced tensor is offered to an observer (calibration hooks in here) and freed as soon
// as no later node needs it. A QDQ model runs the way ONNX Runtime runs it: its
// DequantizeLinear -> op -> QuantizeLinear groups become integer operators first
// (passes/qdq_fusion.h); the float simulation of the same model is the oracle.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "onnx/model.h"

namespace qplay {

using TensorMap = std::map<std::string, Tensor>;
// Called with the producing node, the value's name and the tensor, once per produced value.
using TensorObserver = std::function<void(const Node&, const std::string&, const Tensor&)>;

enum class QdqExecution {
  kIntegerKernels,   // fuse Q/DQ groups into integer operators, as ONNX Runtime does
  kFloatSimulation,  // run every DequantizeLinear, float op and QuantizeLinear as written
};

struct SessionOptions {
  QdqExecution qdq = QdqExecution::kIntegerKernels;
};

class Session {
 public:
  // Fails, naming the node, when the model uses an op, opset or element type the runtime lacks.
  // `model` must outlive the session (unless the session runs its own fused copy).
  static Result<Session> Create(const Model& model, const SessionOptions& options = {});

  // Checks inputs against the model's declared inputs (names, element types, known dims).
  Result<TensorMap> Run(const TensorMap& inputs, const TensorObserver& observer = {}) const;

  const Model& model() const { return *model_; }

 private:
  // For every graph (main and subgraphs): the index of the last node reading each value.
  // Computed once at Create; Run frees each intermediate right after that node.
  using LastUses = std::map<const Graph*, std::map<std::string, size_t>>;

  Session(const Model& model, std::shared_ptr<const Model> fused, std::shared_ptr<const LastUses> last_uses)
      : model_(fused ? fused.get() : &model), fused_(std::move(fused)), last_uses_(std::move(last_uses)) {}
  const Model* model_;
  std::shared_ptr<const Model> fused_;  // the integer form of a QDQ model, when one was made
  std::shared_ptr<const LastUses> last_uses_;
};

// Every reason `model` cannot run, one line each, naming the node (empty when it can run).
// Session::Create reports the first; the summary lists them all.
std::vector<std::string> UnsupportedNodes(const Model& model);

}  // namespace qplay
