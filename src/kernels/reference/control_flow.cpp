// Control flow: If and Loop run their subgraphs through the session's graph runner.
#include <atomic>
#include <cstring>

#include "kernels/registry.h"

namespace qplay {
namespace {

Status If(KernelContext& ctx) {
  const bool cond = ctx.in(0).size() > 0 && ctx.in(0).GetAsInt64(0) != 0;
  const auto& branch = ctx.node.attributes.find(cond ? "then_branch" : "else_branch");
  if (branch == ctx.node.attributes.end() || !branch->second.g) return ctx.Invalid("missing branch subgraph");
  auto outputs = ctx.RunSubgraph(*branch->second.g);
  if (!outputs.ok()) return outputs.status();
  if (outputs->size() != ctx.num_outputs())
    return ctx.Invalid("branch returns ", outputs->size(), " values for ", ctx.num_outputs(), " outputs");
  for (size_t i = 0; i < outputs->size(); ++i) ctx.SetOutput(i, (*outputs)[i]);
  return Status::Ok();
}

// Stacks equally shaped tensors along a new leading axis.
Tensor Stack(const std::vector<Tensor>& parts, DataType dtype, const Shape& part_shape) {
  Shape shape{static_cast<int64_t>(parts.size())};
  shape.insert(shape.end(), part_shape.begin(), part_shape.end());
  Tensor out(dtype, shape);
  size_t offset = 0;
  for (const Tensor& p : parts) {
    if (p.nbytes()) std::memcpy(out.raw() + offset, p.raw(), p.nbytes());
    offset += p.nbytes();
  }
  return out;
}

std::atomic<int64_t> max_loop_iterations{kDefaultMaxLoopIterations};

Status Loop(KernelContext& ctx) {
  const auto body_attr = ctx.node.attributes.find("body");
  if (body_attr == ctx.node.attributes.end() || !body_attr->second.g) return ctx.Invalid("missing body subgraph");
  const Graph& body = *body_attr->second.g;
  const int64_t max_trips = ctx.has(0) && ctx.in(0).size() ? ctx.in(0).GetAsInt64(0) : INT64_MAX;
  bool cond = ctx.has(1) && ctx.in(1).size() ? ctx.in(1).GetAsInt64(0) != 0 : true;
  std::vector<Tensor> carried;
  for (size_t i = 2; i < ctx.num_inputs(); ++i) carried.push_back(ctx.in(i));
  const size_t num_carried = carried.size();
  if (ctx.num_outputs() < num_carried)
    return ctx.Invalid("has ", num_carried, " loop-carried inputs but only ", ctx.num_outputs(), " outputs");
  const size_t num_scan = ctx.num_outputs() - num_carried;
  std::vector<std::vector<Tensor>> scans(num_scan);
  for (int64_t trip = 0; trip < max_trips && cond; ++trip) {
    if (trip == MaxLoopIterations())
      return ctx.Unsupported("ran ", trip, " iterations without ending (trip count ",
                             max_trips == INT64_MAX ? std::string("unbounded") : std::to_string(max_trips),
                             "); qplay stops a Loop there");
    std::vector<Tensor> inputs{Tensor::Scalar<int64_t>(trip), Tensor::Scalar<bool>(cond)};
    inputs.insert(inputs.end(), carried.begin(), carried.end());
    auto outputs = ctx.RunSubgraph(body, inputs);
    if (!outputs.ok()) return outputs.status();
    if (outputs->size() != 1 + num_carried + num_scan)
      return ctx.Invalid("body returns ", outputs->size(), " values, expected ", 1 + num_carried + num_scan);
    cond = (*outputs)[0].GetAsInt64(0) != 0;
    for (size_t i = 0; i < num_carried; ++i) carried[i] = (*outputs)[1 + i];
    for (size_t i = 0; i < num_scan; ++i) scans[i].push_back((*outputs)[1 + num_carried + i]);
  }
  for (size_t i = 0; i < num_carried; ++i) ctx.SetOutput(i, carried[i]);
  for (size_t i = 0; i < num_scan; ++i) {
    if (scans[i].empty()) return ctx.Unsupported("a Loop that runs zero iterations with scan outputs");
    ctx.SetOutput(num_carried + i, Stack(scans[i], scans[i][0].dtype(), scans[i][0].shape()));
  }
  return Status::Ok();
}

}  // namespace

int64_t MaxLoopIterations() { return max_loop_iterations.load(); }
void SetMaxLoopIterations(int64_t iterations) { max_loop_iterations.store(iterations); }

void RegisterControlFlowKernels(KernelRegistry& r) {
  r.Add("If", If);
  r.Add("Loop", Loop);
}

}  // namespace qplay
