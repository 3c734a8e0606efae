// The runtime: executes a Model node by node in topological order, each node by its fast
// kernel when it has one (else, or with KernelVariant::kReference, the reference kernel).
// Every produced tensor is offered to an observer (calibration hooks in here) and freed as
// soon as no later node needs it. A QDQ model runs the way ONNX Runtime runs it: its
// DequantizeLinear -> op -> QuantizeLinear groups become integer operators first
// (passes/qdq_fusion.h); the float simulation of the same model is the oracle.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/progress.h"
#include "core/status.h"
#include "kernels/registry.h"
#include "ir/model.h"

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
  KernelVariant kernels = KernelVariant::kFast;  // kReference: only the reference kernels
  // Runs the model rewritten for speed (passes/inference_optimization.h): BatchNormalization
  // folded, activations fused into convolutions, constants folded. Outputs agree up to float
  // rounding; intermediates inside fused groups are never produced, so leave it off for runs
  // whose observer reads intermediates.
  bool optimize = false;
};

class Session {
 public:
  // Fails, naming the node, when the model uses an op, opset or element type the runtime lacks.
  // `model` must outlive the session (unless the session runs its own fused copy).
  static Result<Session> Create(const Model& model, const SessionOptions& options = {});

  // Checks inputs against the model's declared inputs (names, element types, known dims).
  // `progress` hears (nodes done, nodes in the graph) after each node of the main graph, and
  // again during every node of a subgraph (a long Loop); returning false cancels the run.
  Result<TensorMap> Run(const TensorMap& inputs, const TensorObserver& observer = {}, const ProgressFn& progress = {}) const;

  const Model& model() const { return *model_; }

  // What Create works out once per graph (main and subgraphs): every value the graph names
  // gets a slot, so Run keeps values in a vector instead of looking them up by name; Run frees
  // each intermediate right after its last reader, calls each node's chosen kernel, and lets
  // kernels keep what they derive from constant inputs (packed weights) in the node's cache.
  struct GraphPlan {
    std::vector<std::string> slot_names;            // slot -> value name
    std::vector<int> entry_slots;                   // values from outside: graph inputs, outer scope
    std::vector<std::vector<int>> input_slots;      // per node and input: its slot, -1 if omitted or an initializer
    std::vector<std::vector<int>> output_slots;     // per node and output: its slot, -1 if unnamed
    std::vector<std::vector<int>> frees;            // per node: slots no later node reads
    std::vector<int> graph_output_slots;
    std::vector<std::vector<bool>> constant_inputs;
    // Per node and input: the graph's own initializer it reads (nullptr for anything else).
    std::vector<std::vector<const Tensor*>> initializer_inputs;
    std::vector<int64_t> opsets;  // per node: the version of its domain the model imports
    std::vector<KernelFn> kernels;
    std::vector<KernelCache> caches;
  };
  using GraphPlans = std::map<const Graph*, GraphPlan>;

 private:
  Session(const Model& model, std::shared_ptr<const Model> fused, std::shared_ptr<GraphPlans> plans)
      : model_(fused ? fused.get() : &model), fused_(std::move(fused)), plans_(std::move(plans)) {}
  const Model* model_;
  std::shared_ptr<const Model> fused_;  // the model rewritten (integer form of a QDQ model, optimized), when it was
  std::shared_ptr<GraphPlans> plans_;   // shared by copies of the session, caches included
};

// Every reason `model` cannot run, one line each, naming the node (empty when it can run).
// Session::Create reports the first; the summary lists them all.
std::vector<std::string> UnsupportedNodes(const Model& model);

}  // namespace qplay
