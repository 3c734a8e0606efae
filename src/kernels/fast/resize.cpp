// Fast Resize for 4-D tensors resized along their last two axes only (the upsampling in
// segmentation and detection heads), from the reference's own plan (kernels/resize_plan.h):
// nearest gathers each output row's columns once and copies it to the rows that repeat it, in
// any element type; linear resamples every input row horizontally, then blends two of them per
// output row, four outputs at a time. The arithmetic is the reference's, in its order, so
// results are equal bit for bit.
// Cubic, antialiased and extrapolating plans, and other axes, go to the reference kernel.
#include <cstring>

#include "core/thread_pool.h"
#include "kernels/registry.h"
#include "kernels/resize_plan.h"
#include "kernels/simd/simd.h"

namespace qplay {
namespace {

// The plan moves only axes 2 and 3, with one tap per index (nearest) or two (linear), and
// samples nothing outside the input.
bool Spatial(const ResizePlan& plan, const Tensor& x) {
  if (x.rank() != 4 || x.size() == 0 || plan.resampled.empty()) return false;
  for (int64_t d : plan.resampled)
    if (d < 2 || plan.taps[d].Extrapolates()) return false;
  const int64_t width = plan.mode.interpolation == Interpolation::kNearest ? 1
                        : plan.mode.interpolation == Interpolation::kLinear && !plan.mode.antialias ? 2 : 0;
  return width > 0 && plan.taps[2].width == width && plan.taps[3].width == width;
}

template <typename T>
void NearestRows(const T* in, int64_t planes, int64_t h, int64_t w, const AxisTaps& rows, const AxisTaps& columns,
                 int64_t out_h, int64_t out_w, T* out) {
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t oy = 0; oy < out_h; ++oy) {
      T* dst = out + (p * out_h + oy) * out_w;
      if (oy > 0 && rows.index[oy] == rows.index[oy - 1]) {
        std::memcpy(dst, dst - out_w, static_cast<size_t>(out_w) * sizeof(T));
        continue;
      }
      const T* src = in + (p * h + rows.index[oy]) * w;
      for (int64_t ox = 0; ox < out_w; ++ox) dst[ox] = src[columns.index[ox]];
    }
}

Status Nearest(KernelContext& ctx, const ResizePlan& plan) {
  const Tensor& x = ctx.in(0);
  Tensor& y = ctx.OutputToOverwrite(0, x.dtype(), plan.output);
  const int64_t planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3);
  const AxisTaps &rows = plan.taps[2], &columns = plan.taps[3];
  const int64_t out_h = plan.output[2], out_w = plan.output[3];
  switch (ElementSize(x.dtype())) {
    case 1: NearestRows(x.data<uint8_t>(), planes, h, w, rows, columns, out_h, out_w, y.data<uint8_t>()); break;
    case 2: NearestRows(x.data<uint16_t>(), planes, h, w, rows, columns, out_h, out_w, y.data<uint16_t>()); break;
    case 4: NearestRows(x.data<uint32_t>(), planes, h, w, rows, columns, out_h, out_w, y.data<uint32_t>()); break;
    case 8: NearestRows(x.data<uint64_t>(), planes, h, w, rows, columns, out_h, out_w, y.data<uint64_t>()); break;
    default: return RunReferenceKernel(ctx);
  }
  return Status::Ok();
}

// One output of a two-tap axis as the reference sums it: 0, then each term whose weight is not
// 0 (so that a zero weight does not turn an infinite sample into NaN).
inline float Blend(float w0, float a, float w1, float b) {
  float sum = 0.0f;
  if (w0 != 0) sum += w0 * a;
  if (w1 != 0) sum += w1 * b;
  return sum;
}

// Blend on four outputs: a term whose weight is 0 is masked to +0, which adds as a skipped one.
inline v128_t Blend4(v128_t w0, v128_t a, v128_t w1, v128_t b) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  const v128_t t0 = wasm_v128_and(wasm_f32x4_mul(w0, a), wasm_f32x4_ne(w0, zero));
  const v128_t t1 = wasm_v128_and(wasm_f32x4_mul(w1, b), wasm_f32x4_ne(w1, zero));
  return wasm_f32x4_add(wasm_f32x4_add(zero, t0), t1);
}

Status Linear(KernelContext& ctx, const ResizePlan& plan) {
  const Tensor& x = ctx.in(0);
  const bool across = !plan.taps[3].Identity(x.dim(3)), down = !plan.taps[2].Identity(x.dim(2));
  const int64_t planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3);
  const int64_t out_h = plan.output[2], out_w = plan.output[3];
  const AxisTaps &rows = plan.taps[2], &columns = plan.taps[3];
  // Horizontal pass over every input row (the reference's intermediate), unless W keeps its length.
  std::vector<float> resampled;
  const float* horizontal = x.data<float>();
  if (across) {
    std::vector<float> w0(out_w), w1(out_w);
    for (int64_t ox = 0; ox < out_w; ++ox) w0[ox] = columns.weight[ox * 2], w1[ox] = columns.weight[ox * 2 + 1];
    const int64_t* index = columns.index.data();
    resampled.resize(static_cast<size_t>(planes * h * out_w));
    ParallelFor(planes * h, GrainForWork(out_w), [&](int64_t first, int64_t last) {
      for (int64_t r = first; r < last; ++r) {
        const float* src = x.data<float>() + r * w;
        float* dst = resampled.data() + r * out_w;
        int64_t ox = 0;
        for (; ox + 4 <= out_w; ox += 4) {
          const int64_t* i = index + ox * 2;
          wasm_v128_store(dst + ox, Blend4(wasm_v128_load(&w0[ox]), wasm_f32x4_make(src[i[0]], src[i[2]], src[i[4]], src[i[6]]),
                                           wasm_v128_load(&w1[ox]), wasm_f32x4_make(src[i[1]], src[i[3]], src[i[5]], src[i[7]])));
        }
        for (; ox < out_w; ++ox) dst[ox] = Blend(w0[ox], src[index[ox * 2]], w1[ox], src[index[ox * 2 + 1]]);
      }
    });
    horizontal = resampled.data();
  }
  Tensor& y = ctx.OutputToOverwrite(0, DataType::kFloat, plan.output);
  if (!down) {
    std::memcpy(y.data<float>(), horizontal, static_cast<size_t>(y.size()) * sizeof(float));
    return Status::Ok();
  }
  ParallelFor(planes * out_h, GrainForWork(out_w), [&](int64_t first, int64_t last) {
    for (int64_t r = first; r < last; ++r) {
      const int64_t p = r / out_h, oy = r % out_h;
      const float w0 = rows.weight[oy * 2], w1 = rows.weight[oy * 2 + 1];
      const float* a = horizontal + (p * h + rows.index[oy * 2]) * out_w;
      const float* b = horizontal + (p * h + rows.index[oy * 2 + 1]) * out_w;
      float* dst = y.data<float>() + r * out_w;
      const v128_t vw0 = wasm_f32x4_splat(w0), vw1 = wasm_f32x4_splat(w1);
      int64_t ox = 0;
      for (; ox + 4 <= out_w; ox += 4) wasm_v128_store(dst + ox, Blend4(vw0, wasm_v128_load(a + ox), vw1, wasm_v128_load(b + ox)));
      for (; ox < out_w; ++ox) dst[ox] = Blend(w0, a[ox], w1, b[ox]);
    }
  });
  return Status::Ok();
}

Status Resize(KernelContext& ctx) {
  if (ctx.in(0).rank() != 4) return RunReferenceKernel(ctx);
  auto plan = PlanResize(ctx);
  if (!plan.ok()) return plan.status();
  if (!Spatial(*plan, ctx.in(0))) return ResizeByPlan(ctx, *plan);
  return plan->mode.interpolation == Interpolation::kNearest ? Nearest(ctx, *plan) : Linear(ctx, *plan);
}

}  // namespace

void RegisterFastResizeKernels(KernelRegistry& r) {
  r.Add("Resize", Resize, "", KernelVariant::kFast);
  r.Add("Upsample", Resize, "", KernelVariant::kFast);
}

}  // namespace qplay
