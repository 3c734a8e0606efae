// Control flow: If, Loop and Scan run their subgraphs through the session's graph runner.
#include <atomic>
#include <cstring>

#include "kernels/axis_layout.h"
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

// Stacks equally shaped tensors along a new axis `axis`, the last one first when `reversed`.
Tensor StackAlong(const std::vector<Tensor>& parts, int64_t axis, bool reversed) {
  const Tensor& first = parts[0];
  const auto length = static_cast<int64_t>(parts.size());
  Shape shape = first.shape();
  shape.insert(shape.begin() + axis, length);
  Tensor out = Tensor::Uninitialized(first.dtype(), shape);
  const AxisLayout layout = LayoutAround(shape, axis);
  const size_t chunk = static_cast<size_t>(layout.inner) * ElementSize(first.dtype());
  for (int64_t t = 0; t < length; ++t) {
    const int64_t at = reversed ? length - 1 - t : t;
    for (int64_t o = 0; o < layout.outer; ++o) std::memcpy(out.raw() + (o * length + at) * chunk, parts[t].raw() + o * chunk, chunk);
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
    ctx.SetOutput(num_carried + i, StackAlong(scans[i], 0, false));
  }
  return Status::Ok();
}

// Entry `index` along `axis` of `x`, without that axis.
Tensor SliceAlong(const Tensor& x, int64_t axis, int64_t index) {
  Shape shape = x.shape();
  shape.erase(shape.begin() + axis);
  Tensor out = Tensor::Uninitialized(x.dtype(), shape);
  const AxisLayout layout = LayoutAround(x.shape(), axis);
  const size_t chunk = static_cast<size_t>(layout.inner) * ElementSize(x.dtype());
  for (int64_t o = 0; o < layout.outer; ++o) std::memcpy(out.raw() + o * chunk, x.raw() + (o * layout.length + index) * chunk, chunk);
  return out;
}

// A Scan attribute list's entry i (0 when absent), an axis made non-negative against `rank`.
Result<int64_t> ScanAttr(const KernelContext& ctx, const char* attr, size_t i, int64_t rank, bool is_axis) {
  const std::vector<int64_t> values = ctx.node.GetInts(attr);
  int64_t v = i < values.size() ? values[i] : 0;
  if (is_axis && !NormalizeAxis(v, rank)) return ctx.Invalid(attr, "[", i, "] is ", v, ", outside rank ", rank);
  if (!is_axis && v != 0 && v != 1) return ctx.Invalid(attr, "[", i, "] is ", v, "; directions are 0 (forward) or 1 (reverse)");
  return v;
}

// Runs the body once per position along each scan input's axis (reversed where its direction is
// 1), carrying the states, and stacks each scan output along its axis (in reverse where asked).
Status Scan(KernelContext& ctx) {
  const auto body_attr = ctx.node.attributes.find("body");
  if (body_attr == ctx.node.attributes.end() || !body_attr->second.g) return ctx.Invalid("missing body subgraph");
  const Graph& body = *body_attr->second.g;
  const auto num_scan_inputs = static_cast<size_t>(ctx.node.GetInt("num_scan_inputs", 0));
  if (num_scan_inputs == 0 || num_scan_inputs > ctx.num_inputs())
    return ctx.Invalid("num_scan_inputs is ", num_scan_inputs, " for ", ctx.num_inputs(), " inputs");
  const size_t states = ctx.num_inputs() - num_scan_inputs;
  if (ctx.num_outputs() < states) return ctx.Invalid("has ", states, " states but only ", ctx.num_outputs(), " outputs");
  const size_t num_scan_outputs = ctx.num_outputs() - states;
  std::vector<int64_t> input_axes, input_reversed;
  int64_t length = -1;
  for (size_t j = 0; j < num_scan_inputs; ++j) {
    const Tensor& x = ctx.in(states + j);
    auto axis = ScanAttr(ctx, "scan_input_axes", j, x.rank(), true);
    if (!axis.ok()) return axis.status();
    auto reversed = ScanAttr(ctx, "scan_input_directions", j, 0, false);
    if (!reversed.ok()) return reversed.status();
    if (length >= 0 && x.dim(*axis) != length)
      return ctx.Invalid("scan input ", j, " has ", x.dim(*axis), " steps along axis ", *axis, "; scan input 0 has ", length);
    length = x.dim(*axis);
    input_axes.push_back(*axis);
    input_reversed.push_back(*reversed);
  }
  if (length == 0 && num_scan_outputs > 0) return ctx.Unsupported("a Scan over zero steps with scan outputs");
  std::vector<Tensor> carried;
  for (size_t i = 0; i < states; ++i) carried.push_back(ctx.in(i));
  std::vector<std::vector<Tensor>> steps(num_scan_outputs);
  for (int64_t t = 0; t < length; ++t) {
    std::vector<Tensor> inputs = carried;
    for (size_t j = 0; j < num_scan_inputs; ++j)
      inputs.push_back(SliceAlong(ctx.in(states + j), input_axes[j], input_reversed[j] ? length - 1 - t : t));
    auto outputs = ctx.RunSubgraph(body, inputs);
    if (!outputs.ok()) return outputs.status();
    if (outputs->size() != states + num_scan_outputs)
      return ctx.Invalid("body returns ", outputs->size(), " values, expected ", states + num_scan_outputs);
    for (size_t i = 0; i < states; ++i) carried[i] = (*outputs)[i];
    for (size_t k = 0; k < num_scan_outputs; ++k) {
      if (t > 0 && (*outputs)[states + k].shape() != steps[k][0].shape())
        return ctx.Invalid("scan output ", k, " changes shape from ", ShapeToString(steps[k][0].shape()), " to ",
                           ShapeToString((*outputs)[states + k].shape()), " at step ", t);
      steps[k].push_back((*outputs)[states + k]);
    }
  }
  for (size_t i = 0; i < states; ++i) ctx.SetOutput(i, carried[i]);
  for (size_t k = 0; k < num_scan_outputs; ++k) {
    auto axis = ScanAttr(ctx, "scan_output_axes", k, steps[k][0].rank() + 1, true);
    if (!axis.ok()) return axis.status();
    auto reversed = ScanAttr(ctx, "scan_output_directions", k, 0, false);
    if (!reversed.ok()) return reversed.status();
    ctx.SetOutput(states + k, StackAlong(steps[k], *axis, *reversed != 0));
  }
  return Status::Ok();
}

}  // namespace

int64_t MaxLoopIterations() { return max_loop_iterations.load(); }
void SetMaxLoopIterations(int64_t iterations) { max_loop_iterations.store(iterations); }

void RegisterControlFlowKernels(KernelRegistry& r) {
  r.Add("If", If);
  r.Add("Loop", Loop);
  r.Add("Scan", Scan);
}

}  // namespace qplay
