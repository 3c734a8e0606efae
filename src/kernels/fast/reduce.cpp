// Fast float ReduceSum, ReduceMean and ReduceMax over one block of adjacent axes (a global
// average over H and W, a mean over the last axis): the reference's double accumulation in the
// reference's order, without its per-element index map, so results are equal bit for bit.
// Other axes, types and empty tensors go to the reference kernels.
#include <algorithm>
#include <limits>
#include <vector>

#include "kernels/reduce_axes.h"
#include "kernels/registry.h"

namespace qplay {
namespace {

enum class Reduce { kSum, kMean, kMax };

template <Reduce kOp>
Status ReduceBlock(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  if (x.dtype() != DataType::kFloat || x.size() == 0) return RunReferenceKernel(ctx);
  auto axes = ReadReducedAxes(ctx, x);
  if (!axes.ok()) return axes.status();
  const std::vector<bool>& reduced = axes->reduced;
  const auto first = std::find(reduced.begin(), reduced.end(), true);
  const auto end = std::find(first, reduced.end(), false);
  if (first == reduced.end() || std::find(end, reduced.end(), true) != reduced.end()) return RunReferenceKernel(ctx);
  int64_t outer = 1, group = 1, inner = 1;
  for (int64_t d = 0; d < x.rank(); ++d) (d < first - reduced.begin() ? outer : d < end - reduced.begin() ? group : inner) *= x.dim(d);

  const double init = kOp == Reduce::kMax ? -std::numeric_limits<double>::infinity() : 0.0;
  auto add = [](double a, float v) { return kOp == Reduce::kMax ? std::max(a, static_cast<double>(v)) : a + v; };
  auto finish = [group](double a) { return static_cast<float>(kOp == Reduce::kMean ? a / static_cast<double>(group) : a); };
  Tensor& y = ctx.OutputToOverwrite(0, DataType::kFloat, axes->output);
  const float* px = x.data<float>();
  float* py = y.data<float>();
  std::vector<double> acc(static_cast<size_t>(inner));
  for (int64_t o = 0; o < outer; ++o) {
    std::fill(acc.begin(), acc.end(), init);
    for (int64_t r = 0; r < group; ++r) {
      const float* row = px + (o * group + r) * inner;
      for (int64_t i = 0; i < inner; ++i) acc[i] = add(acc[i], row[i]);
    }
    for (int64_t i = 0; i < inner; ++i) py[o * inner + i] = finish(acc[i]);
  }
  return Status::Ok();
}

}  // namespace

void RegisterFastReduceKernels(KernelRegistry& r) {
  r.Add("ReduceSum", ReduceBlock<Reduce::kSum>, "", KernelVariant::kFast);
  r.Add("ReduceMean", ReduceBlock<Reduce::kMean>, "", KernelVariant::kFast);
  r.Add("ReduceMax", ReduceBlock<Reduce::kMax>, "", KernelVariant::kFast);
}

}  // namespace qplay
