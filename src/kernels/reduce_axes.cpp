#include "kernels/reduce_axes.h"

#include "ops/reduce.h"
#include "ops/value_info.h"

namespace qplay {

Result<ReducedAxes> ReadReducedAxes(const KernelContext& ctx, const Tensor& x) {
  // axes are an attribute before opset 18, except ReduceSum which moved them to an input at 13.
  const int64_t input_since = IsOp(ctx.node, ops::kReduceSum) ? 13 : 18;
  std::vector<int64_t> axes = ctx.opset >= input_since ? (ctx.has(1) ? ctx.in(1).ToInt64Vector() : std::vector<int64_t>{})
                                                       : ctx.node.GetInts("axes");
  const bool keepdims = ctx.node.GetInt("keepdims", 1) != 0;
  const bool noop = ctx.node.GetInt("noop_with_empty_axes", 0) != 0;
  ReducedAxes result{std::vector<bool>(x.rank(), axes.empty() && !noop), {}};
  for (int64_t axis : axes) {
    if (!NormalizeAxis(axis, x.rank())) return ctx.Invalid("axis out of range for rank ", x.rank());
    result.reduced[axis] = true;
  }
  for (int64_t d = 0; d < x.rank(); ++d)
    if (!result.reduced[d] || keepdims) result.output.push_back(result.reduced[d] ? 1 : x.dim(d));
  return result;
}

}  // namespace qplay
