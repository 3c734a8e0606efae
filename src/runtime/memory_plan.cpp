#include "runtime/memory_plan.h"

#include <algorithm>
#include <set>

#include "runtime/session.h"

namespace qplay {

int64_t PlaceInArena(std::vector<PlannedTensor>& tensors) {
  std::vector<size_t> order(tensors.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return tensors[a].bytes > tensors[b].bytes; });
  std::vector<size_t> placed;
  int64_t arena = 0;
  for (size_t i : order) {
    PlannedTensor& t = tensors[i];
    // Tensors alive at the same time as t, by offset: t goes in the first gap that fits.
    std::vector<const PlannedTensor*> overlapping;
    for (size_t j : placed)
      if (tensors[j].first <= t.last && t.first <= tensors[j].last) overlapping.push_back(&tensors[j]);
    std::sort(overlapping.begin(), overlapping.end(), [](const auto* a, const auto* b) { return a->offset < b->offset; });
    int64_t offset = 0;
    for (const PlannedTensor* other : overlapping) {
      if (other->offset >= offset + t.bytes) break;
      offset = std::max(offset, other->offset + other->bytes);
    }
    t.offset = offset;
    arena = std::max(arena, offset + t.bytes);
    placed.push_back(i);
  }
  return arena;
}

Result<MemoryPlan> PlanMemory(const Model& model, int64_t batch) {
  TensorMap inputs;
  for (const auto& name : model.graph.inputs) {
    const ValueType* type = model.graph.TypeOf(name);
    if (!type || !type->shape) return Fail(StatusCode::kUnsupported, "input '", name, "' has no known rank to plan memory with");
    Shape shape;
    for (const Dim& d : *type->shape) shape.push_back(d.known() ? *d.value : batch);
    auto tensor = Tensor::Allocate(type->dtype, shape, "input '" + name + "'");
    if (!tensor.ok()) return tensor.status();
    inputs[name] = *tensor;
  }
  // Plan the graph the session runs (a QDQ model's fused, integer form).
  auto session = Session::Create(model);
  if (!session.ok()) return session.status();
  const Graph& graph = session->model().graph;
  std::map<const Node*, size_t> index;
  for (size_t n = 0; n < graph.nodes.size(); ++n) index[&graph.nodes[n]] = n;
  // The last main-graph node that reads each value (a read inside a subgraph counts for its node).
  std::map<std::string, size_t> last_read;
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    for (const auto& in : graph.nodes[n].inputs) last_read[in] = n;
    for (const auto& [_, attr] : graph.nodes[n].attributes)
      if (attr.g)
        for (const auto& name : attr.g->OuterScopeNames()) last_read[name] = n;
  }
  const std::set<std::string> outputs(graph.outputs.begin(), graph.outputs.end());

  MemoryPlan plan;
  plan.batch = batch;
  // A value that shares its buffer with an earlier one (Reshape, Identity, ...) needs no bytes
  // of its own, but keeps that buffer alive until its own last reader.
  std::map<const uint8_t*, size_t> owner;  // buffer -> index in plan.tensors
  std::vector<Tensor> alive;  // every buffer stays allocated, so no address is reused during the run
  auto run = session->Run(inputs, [&](const Node& node, const std::string& name, const Tensor& tensor) {
    alive.push_back(tensor);
    auto producer = index.find(&node);
    if (producer == index.end() || outputs.count(name)) return;  // subgraph values; outputs outlive the run
    const size_t first = producer->second;
    auto read = last_read.find(name);
    const size_t last = read == last_read.end() ? first : read->second;
    auto shared = owner.find(tensor.raw());
    if (tensor.raw() && shared != owner.end()) {
      plan.tensors[shared->second].last = std::max(plan.tensors[shared->second].last, last);
      return;
    }
    if (tensor.raw()) owner[tensor.raw()] = plan.tensors.size();
    plan.tensors.push_back({name, static_cast<int64_t>(tensor.nbytes()), first, last, 0});
  });
  if (!run.ok()) return run.status();
  for (const auto& t : plan.tensors) plan.tensor_bytes += t.bytes;
  plan.arena_bytes = PlaceInArena(plan.tensors);
  return plan;
}

}  // namespace qplay
