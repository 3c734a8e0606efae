// Resize (opset 10+) and Upsample (opset 7-9), as ONNX Runtime computes them: nearest, linear and
// cubic interpolation, every coordinate transformation mode, antialiasing, exclude_outside and
// tf_crop_and_resize's extrapolation. Interpolation is separable: each resized axis is resampled
// in turn, innermost first, from its taps (kernels/resize_plan.h).
#include <algorithm>
#include <cstring>

#include "kernels/axis_layout.h"
#include "kernels/registry.h"
#include "kernels/resize_plan.h"

namespace qplay {
namespace {

// Output rows along `axis` from the input rows the taps name: copied (nearest, any element type)
// or weighted sums, each 0 + w0 x0 + w1 x1 ... over the non-zero weights in order (float).
void ResampleAxis(const Tensor& in, int64_t axis, const AxisTaps& taps, Tensor& out) {
  const auto [outer, in_len, inner] = LayoutAround(in.shape(), axis);
  const int64_t out_len = out.dim(axis);
  const size_t row_bytes = static_cast<size_t>(inner) * ElementSize(in.dtype());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < out_len; ++j) {
      const int64_t* index = &taps.index[j * taps.width];
      const float* weight = &taps.weight[j * taps.width];
      if (taps.width == 1 && weight[0] == 1) {  // nearest: a copy, of any element type
        std::memcpy(out.raw() + (o * out_len + j) * row_bytes, in.raw() + (o * in_len + index[0]) * row_bytes, row_bytes);
        continue;
      }
      float* dst = out.data<float>() + (o * out_len + j) * inner;
      std::fill(dst, dst + inner, 0.0f);
      for (int64_t k = 0; k < taps.width; ++k) {
        if (weight[k] == 0) continue;
        const float* src = in.data<float>() + (o * in_len + index[k]) * inner;
        for (int64_t i = 0; i < inner; ++i) dst[i] += weight[k] * src[i];
      }
    }
}

// tf_crop_and_resize: output rows that sample outside the input take the extrapolation value.
void Extrapolate(const ResizeMode& mode, int64_t axis, const AxisTaps& taps, Tensor& y) {
  if (!taps.Extrapolates()) return;
  Tensor value(y.dtype(), {});
  value.SetFromDouble(0, mode.extrapolation_value);
  const size_t element = ElementSize(y.dtype());
  const auto [outer, len, inner] = LayoutAround(y.shape(), axis);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < len; ++j)
      if (taps.outside[j])
        for (int64_t i = 0; i < inner; ++i) std::memcpy(y.raw() + ((o * len + j) * inner + i) * element, value.raw(), element);
}

}  // namespace

Status ResizeByPlan(KernelContext& ctx, const ResizePlan& plan) {
  const Tensor& x = ctx.in(0);
  if (plan.resampled.empty() || x.size() == 0) {
    Tensor& y = ctx.Output(0, x.dtype(), plan.output);
    if (y.size() > 0) std::memcpy(y.raw(), x.raw(), y.nbytes());  // nothing resampled: the same shape
    return Status::Ok();
  }
  Tensor current = x;
  for (int64_t d : plan.resampled) {
    Shape shape = current.shape();
    shape[d] = plan.output[d];
    auto next = Tensor::Allocate(x.dtype(), shape, "an intermediate of the resize");
    if (!next.ok()) return next.status();
    ResampleAxis(current, d, plan.taps[d], *next);
    current = std::move(*next);
  }
  for (int64_t d : plan.resampled) Extrapolate(plan.mode, d, plan.taps[d], current);
  ctx.SetOutput(0, std::move(current));
  return Status::Ok();
}

namespace {

Status Resize(KernelContext& ctx) {
  auto plan = PlanResize(ctx);
  if (!plan.ok()) return plan.status();
  return ResizeByPlan(ctx, *plan);
}

}  // namespace

void RegisterResizeKernels(KernelRegistry& r) {
  r.Add("Resize", Resize);
  r.Add("Upsample", Resize);
}

}  // namespace qplay
