#include "runtime/session.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "kernels/registry.h"
#include "ops/quantize.h"
#include "ops/schema.h"
#include "passes/inference_optimization.h"
#include "passes/qdq_fusion.h"

namespace qplay {
namespace {

constexpr int64_t kMinOpset = 1;
constexpr int64_t kMaxOpset = kLatestOpset;  // ONNX 1.17

void CollectUnsupported(const Graph& graph, const Model& model, std::vector<std::string>& problems) {
  const auto& registry = KernelRegistry::Get();
  for (const Node& node : graph.nodes) {
    auto opset = model.opsets.find(node.domain);
    if (opset == model.opsets.end()) {
      problems.push_back(node.Describe() + " uses domain '" + node.domain + "', which the model does not import");
    } else if (!registry.Find(node.domain, node.op_type)) {
      problems.push_back(node.Describe() + ": op " + (node.domain.empty() ? "" : node.domain + ".") + node.op_type +
                         " is not supported by qplay's runtime");
    } else if (opset->second <= kMaxOpset && !SchemaRegistry::Get().Find(node.domain, node.op_type, opset->second)) {
      // A kernel exists, but not this version of the op (GatherND in an opset-10 model): the
      // loader could not check the node, so nothing may run it.
      problems.push_back(node.Describe() + ": op " + node.op_type + " is not defined at opset " +
                         std::to_string(opset->second) + " of its domain");
    }
    for (const auto& [name, attr] : node.attributes) {
      if (!attr.unreadable.empty()) problems.push_back(node.Describe() + ": " + attr.unreadable);
      if (attr.g) CollectUnsupported(*attr.g, model, problems);
    }
    for (const auto& input : node.inputs) {
      auto it = graph.unreadable.find(input);
      if (it != graph.unreadable.end()) problems.push_back(node.Describe() + ": " + it->second);
    }
  }
}

std::string DescribeType(DataType dtype, const Shape& shape) { return DataTypeName(dtype) + " " + ShapeToString(shape); }

Status CheckInput(const std::string& name, const ValueType* declared, const Tensor& tensor) {
  if (!declared || !declared->is_tensor) return Status::Ok();
  bool matches = declared->dtype == DataType::kUndefined || declared->dtype == tensor.dtype();
  if (matches && declared->shape) {
    const auto& dims = *declared->shape;
    matches = dims.size() == tensor.shape().size();
    for (size_t i = 0; matches && i < dims.size(); ++i)
      matches = !dims[i].known() || *dims[i].value == tensor.shape()[i];
  }
  if (matches) return Status::Ok();
  return Fail(StatusCode::kInvalidArgument, "input '", name, "' expects ", DataTypeName(declared->dtype), " ",
              declared->ShapeString(), " but got ", DescribeType(tensor.dtype(), tensor.shape()));
}

// For `graph` and each subgraph, recursively: a slot for every value it names, which values
// each node is the last reader of (counting reads from subgraphs; graph outputs excepted),
// which inputs of each node are initializers, each node's kernel, and an empty per-node cache.
void PlanGraphs(const Model& model, const Graph& graph, KernelVariant variant, Session::GraphPlans& out) {
  Session::GraphPlan& plan = out[&graph];
  plan.caches.resize(graph.nodes.size());
  std::unordered_map<std::string, int> slot_of;
  auto slot = [&](const std::string& name) {
    auto [it, added] = slot_of.emplace(name, static_cast<int>(plan.slot_names.size()));
    if (added) plan.slot_names.push_back(name);
    return it->second;
  };
  std::set<std::string> produced;
  std::map<std::string, size_t> last_use;
  const std::set<std::string> inputs(graph.inputs.begin(), graph.inputs.end());  // these shadow initializers of their name
  for (const auto& name : graph.inputs) plan.entry_slots.push_back(slot(name));
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const Node& node = graph.nodes[n];
    std::vector<bool> constant;
    std::vector<const Tensor*> initializers;
    std::vector<int> input_slots, output_slots;
    for (const auto& name : node.inputs) {
      if (!name.empty()) last_use[name] = n;
      constant.push_back(graph.IsInitializer(name));
      initializers.push_back(constant.back() && !inputs.count(name) ? &graph.initializers.at(name) : nullptr);
      const bool by_slot = !name.empty() && !initializers.back();
      if (by_slot && !produced.count(name) && !inputs.count(name) && !slot_of.count(name)) plan.entry_slots.push_back(slot(name));
      input_slots.push_back(by_slot ? slot(name) : -1);
    }
    for (const auto& name : node.outputs) {
      output_slots.push_back(name.empty() ? -1 : slot(name));
      produced.insert(name);
    }
    plan.constant_inputs.push_back(std::move(constant));
    plan.initializer_inputs.push_back(std::move(initializers));
    plan.input_slots.push_back(std::move(input_slots));
    plan.output_slots.push_back(std::move(output_slots));
    auto opset = model.opsets.find(node.domain);
    plan.opsets.push_back(opset == model.opsets.end() ? 0 : opset->second);
    plan.kernels.push_back(KernelRegistry::Get().Find(node.domain, node.op_type, variant));
    for (const auto& [_, attr] : node.attributes)
      if (attr.g) {
        for (const auto& name : attr.g->OuterScopeNames()) last_use[name] = n;
        PlanGraphs(model, *attr.g, variant, out);
      }
  }
  for (const auto& name : graph.outputs) plan.graph_output_slots.push_back(slot(name));
  plan.frees.resize(graph.nodes.size());
  const std::set<std::string> outputs(graph.outputs.begin(), graph.outputs.end());
  for (const auto& [name, n] : last_use)
    if (!outputs.count(name) && !graph.IsInitializer(name) && slot_of.count(name)) plan.frees[n].push_back(slot_of.at(name));
}

class GraphRunner {
 public:
  GraphRunner(Session::GraphPlans& plans, const TensorObserver& observer, const ProgressFn& progress)
      : plans_(plans), observer_(observer), progress_(progress) {}

  using Scope = std::unordered_map<std::string, Tensor>;

  // Runs `graph` with `scope` holding its inputs and every outer value it may read (outer
  // initializers are found through the enclosing graphs).
  Result<std::vector<Tensor>> Run(const Graph& graph, Scope scope) {
    if (graphs_.empty()) main_total_ = static_cast<int64_t>(graph.nodes.size());
    graphs_.push_back(&graph);
    auto result = RunNodes(graph, scope);
    graphs_.pop_back();
    return result;
  }

 private:
  const Tensor* Find(const Scope& scope, const std::string& name) const {
    auto it = scope.find(name);
    if (it != scope.end()) return &it->second;
    for (auto g = graphs_.rbegin(); g != graphs_.rend(); ++g) {
      auto init = (*g)->initializers.find(name);
      if (init != (*g)->initializers.end()) return &init->second;
    }
    return nullptr;
  }

  // Values live in `values`, one per slot of the graph's plan; `scope` holds what the graph
  // reads from outside (its inputs, the enclosing graphs' values).
  Result<std::vector<Tensor>> RunNodes(const Graph& graph, Scope& scope) {
    Session::GraphPlan& plan = plans_.at(&graph);
    std::vector<Tensor> values(plan.slot_names.size());
    for (int id : plan.entry_slots) {
      auto it = scope.find(plan.slot_names[id]);
      if (it != scope.end()) values[id] = it->second;
    }
    // A value by slot, or by name from the enclosing graphs (their initializers).
    auto read = [&](int id) -> const Tensor* { return values[id].empty() ? Find(scope, plan.slot_names[id]) : &values[id]; };
    for (size_t n = 0; n < graph.nodes.size(); ++n) {
      const Node& node = graph.nodes[n];
      std::vector<const Tensor*> inputs;
      inputs.reserve(node.inputs.size());
      for (size_t i = 0; i < node.inputs.size(); ++i) {
        const int id = plan.input_slots[n][i];
        if (id < 0) {
          inputs.push_back(plan.initializer_inputs[n][i]);
          continue;
        }
        const Tensor* found = read(id);
        if (!found) return Fail(StatusCode::kInternal, node.Describe(), ": input '", node.inputs[i], "' was not computed");
        inputs.push_back(found);
      }
      // Trailing omitted inputs are dropped so num_inputs() counts what is present.
      while (!inputs.empty() && !inputs.back()) inputs.pop_back();

      KernelContext ctx(node, plan.opsets[n], std::move(inputs),
                        [&](const Graph& sub, const std::vector<Tensor>& sub_inputs) {
                          Scope sub_scope = scope;
                          for (size_t id = 0; id < values.size(); ++id)
                            if (!values[id].empty()) sub_scope[plan.slot_names[id]] = values[id];
                          for (size_t i = 0; i < sub.inputs.size() && i < sub_inputs.size(); ++i)
                            sub_scope[sub.inputs[i]] = sub_inputs[i];
                          return Run(sub, std::move(sub_scope));
                        },
                        &plan.caches[n], &plan.constant_inputs[n]);
      KernelFn kernel = plan.kernels[n];
      if (!kernel) return Fail(StatusCode::kUnsupported, node.Describe(), ": op ", node.op_type, " is not supported");
      Status status = Invoke(kernel, ctx);
      if (!status.ok()) return status.WithContext(node.Describe());

      for (size_t i = 0; i < node.outputs.size(); ++i) {
        const int id = plan.output_slots[n][i];
        if (id < 0) continue;
        if (ctx.outputs()[i].empty())
          return Fail(StatusCode::kInternal, node.Describe(), ": kernel did not produce output '", node.outputs[i], "'");
        if (observer_) observer_(node, node.outputs[i], ctx.outputs()[i]);
        values[id] = std::move(ctx.outputs()[i]);
      }
      for (int id : plan.frees[n]) values[id] = Tensor();
      if (graphs_.size() == 1) main_done_ = static_cast<int64_t>(n) + 1;
      if (progress_ && !progress_(main_done_, main_total_))
        return Fail(StatusCode::kCancelled, "run cancelled after ", main_done_, " of ", main_total_, " nodes");
    }

    std::vector<Tensor> outputs;
    for (size_t i = 0; i < graph.outputs.size(); ++i) {
      const Tensor* found = read(plan.graph_output_slots[i]);
      if (!found) return Fail(StatusCode::kInvalidModel, "graph output '", graph.outputs[i], "' is never computed");
      outputs.push_back(*found);
    }
    return outputs;
  }

  Session::GraphPlans& plans_;
  const TensorObserver& observer_;
  const ProgressFn& progress_;
  int64_t main_done_ = 0, main_total_ = 0;  // nodes of the main graph run, and its node count
  std::vector<const Graph*> graphs_;  // the graph running and those enclosing it
};

}  // namespace

std::vector<std::string> UnsupportedNodes(const Model& model) {
  std::vector<std::string> problems;
  for (const auto& [domain, version] : model.opsets)
    if ((domain.empty() || domain == "ai.onnx") && (version < kMinOpset || version > kMaxOpset))
      problems.push_back("the model imports ai.onnx opset " + std::to_string(version) + "; qplay runs opsets " +
                         std::to_string(kMinOpset) + " to " + std::to_string(kMaxOpset));
  CollectUnsupported(model.graph, model, problems);
  return problems;
}

Result<Session> Session::Create(const Model& model, const SessionOptions& options) {
  auto problems = UnsupportedNodes(model);
  if (!problems.empty()) {
    std::string message = problems.front();
    if (problems.size() > 1) message += " (and " + std::to_string(problems.size() - 1) + " more problems)";
    return Fail(StatusCode::kUnsupported, message);
  }
  std::shared_ptr<Model> fused;
  const bool has_qdq = std::any_of(model.graph.nodes.begin(), model.graph.nodes.end(),
                                   IsDequantizeLinear);
  if (options.qdq == QdqExecution::kIntegerKernels && has_qdq) {
    fused = std::make_shared<Model>(model);
    auto converted = FuseQdqGroups(*fused);
    if (!converted.ok()) return converted.status();
  }
  if (options.optimize) {
    // A model the optimizer cannot rewrite (a shape it cannot infer, say) runs as written.
    auto optimized = std::make_shared<Model>(fused ? *fused : model);
    if (OptimizeForInference(*optimized).ok()) fused = std::move(optimized);
  }
  const Model& runnable = fused ? *fused : model;
  auto plans = std::make_shared<GraphPlans>();
  PlanGraphs(runnable, runnable.graph, options.kernels, *plans);
  return Session(model, std::move(fused), std::move(plans));
}

Result<TensorMap> Session::Run(const TensorMap& inputs, const TensorObserver& observer, const ProgressFn& progress) const {
  const Graph& graph = model_->graph;
  GraphRunner::Scope scope;
  for (const auto& name : graph.inputs) {
    auto it = inputs.find(name);
    if (it == inputs.end()) {
      const ValueType* type = graph.TypeOf(name);
      return Fail(StatusCode::kInvalidArgument, "missing input '", name, "'",
                  type ? " (" + DataTypeName(type->dtype) + " " + type->ShapeString() + ")" : "");
    }
    QPLAY_RETURN_IF_ERROR(CheckInput(name, graph.TypeOf(name), it->second));
    scope[name] = it->second;
  }
  for (const auto& [name, _] : inputs)
    if (!scope.count(name)) {
      std::string expected;
      for (const auto& n : graph.inputs) expected += (expected.empty() ? "'" : ", '") + n + "'";
      return Fail(StatusCode::kInvalidArgument, "unknown input '", name, "'; the model's inputs are ", expected);
    }

  GraphRunner runner(*plans_, observer, progress);
  auto outputs = runner.Run(graph, std::move(scope));
  if (!outputs.ok()) return outputs.status();
  TensorMap result;
  for (size_t i = 0; i < graph.outputs.size(); ++i) result[graph.outputs[i]] = outputs.value()[i];
  return result;
}

}  // namespace qplay
