// Fast float Erf, Gelu and Softmax (over any axis), the transformer's non-GEMM float work
// beside LayerNormalization (normalization.cpp), with the vector exp/erf of
// kernels/simd/f32_math.h. They agree with the reference kernels within 1e-5 relative
// (tests/fast_kernels_test.cpp); other types go to the reference kernels.
#include <cmath>

#include "core/thread_pool.h"
#include "kernels/registry.h"
#include "kernels/simd/f32_math.h"

namespace qplay {
namespace {

// y = f(x) element by element: vector_fn on whole vectors, scalar_fn on the tail. The threads
// take runs of whole vectors, so the same elements take the scalar tail on any count.
template <typename VectorFn, typename ScalarFn>
Status MapFloats(KernelContext& ctx, VectorFn vector_fn, ScalarFn scalar_fn) {
  const Tensor& x = ctx.in(0);
  Tensor& y = ctx.OutputToOverwrite(0, DataType::kFloat, x.shape());
  const float* px = x.data<float>();
  float* py = y.data<float>();
  ParallelFor((x.size() + 3) / 4, GrainForWork(4), [&](int64_t first, int64_t last) {
    const int64_t end = std::min(x.size(), 4 * last);
    int64_t i = 4 * first;
    for (; i + 4 <= end; i += 4) wasm_v128_store(py + i, vector_fn(wasm_v128_load(px + i)));
    for (; i < end; ++i) py[i] = scalar_fn(px[i]);
  });
  return Status::Ok();
}

Status Erf(KernelContext& ctx) {
  if (ctx.in(0).dtype() != DataType::kFloat) return RunReferenceKernel(ctx);
  return MapFloats(ctx, f32x4_erf, [](float v) { return std::erf(v); });
}

// x / 2 (1 + erf(x / sqrt 2)): ai.onnx Gelu (opset 20, not its tanh approximation) and
// com.microsoft Gelu, which sessions fuse BERT's spelled-out form into at any opset.
Status Gelu(KernelContext& ctx) {
  if (ctx.in(0).dtype() != DataType::kFloat || ctx.node.GetString("approximate", "none") != "none") return RunReferenceKernel(ctx);
  constexpr float kInverseSqrt2 = 0.70710678118654752f;
  const v128_t half = wasm_f32x4_splat(0.5f), one = wasm_f32x4_splat(1.0f), inverse_sqrt2 = wasm_f32x4_splat(kInverseSqrt2);
  return MapFloats(
      ctx,
      [&](v128_t v) {
        return wasm_f32x4_mul(wasm_f32x4_mul(half, v), wasm_f32x4_add(one, f32x4_erf(wasm_f32x4_mul(v, inverse_sqrt2))));
      },
      [](float v) { return 0.5f * v * (1.0f + std::erf(v * kInverseSqrt2)); });
}

float HorizontalSum(v128_t v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) +
         wasm_f32x4_extract_lane(v, 3);
}

// Softmax over a middle axis of x viewed as [outer, length, inner] (NCHW's channels, say):
// four adjacent columns at a time, each lane its own softmax.
Status SoftmaxOverMiddleAxis(KernelContext& ctx, int64_t axis) {
  const Tensor& x = ctx.in(0);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.dim(d);
  for (int64_t d = axis + 1; d < x.rank(); ++d) inner *= x.dim(d);
  const int64_t length = x.dim(axis);
  Tensor& y = ctx.OutputToOverwrite(0, DataType::kFloat, x.shape());
  const v128_t one = wasm_f32x4_splat(1.0f);
  ParallelFor(outer, GrainForWork(length * inner), [&](int64_t first, int64_t last) {
    for (int64_t o = first; o < last; ++o) {
      const float* px = x.data<float>() + o * length * inner;
      float* py = y.data<float>() + o * length * inner;
      int64_t in = 0;
      for (; in + 4 <= inner; in += 4) {
        v128_t max = wasm_v128_load(px + in);
        for (int64_t i = 1; i < length; ++i) max = wasm_f32x4_pmax(max, wasm_v128_load(px + i * inner + in));
        v128_t sum = wasm_f32x4_splat(0.0f);
        for (int64_t i = 0; i < length; ++i) {
          const v128_t e = f32x4_exp(wasm_f32x4_sub(wasm_v128_load(px + i * inner + in), max));
          wasm_v128_store(py + i * inner + in, e);
          sum = wasm_f32x4_add(sum, e);
        }
        const v128_t inverse = wasm_f32x4_div(one, sum);
        for (int64_t i = 0; i < length; ++i) {
          float* at = py + i * inner + in;
          wasm_v128_store(at, wasm_f32x4_mul(wasm_v128_load(at), inverse));
        }
      }
      for (; in < inner; ++in) {
        float max = px[in], sum = 0;
        for (int64_t i = 1; i < length; ++i) max = std::max(max, px[i * inner + in]);
        for (int64_t i = 0; i < length; ++i) sum += py[i * inner + in] = std::exp(px[i * inner + in] - max);
        for (int64_t i = 0; i < length; ++i) py[i * inner + in] /= sum;
      }
    }
  });
  return Status::Ok();
}

Status Softmax(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  if (x.dtype() != DataType::kFloat || x.rank() == 0) return RunReferenceKernel(ctx);
  int64_t axis = ctx.node.GetInt("axis", ctx.opset < 13 ? 1 : -1);
  if (!NormalizeAxis(axis, x.rank()) || x.size() == 0) return RunReferenceKernel(ctx);
  // Before opset 13 Softmax takes rows of x flattened from its axis on; from 13, x's axis.
  int64_t length = x.dim(axis);
  if (ctx.opset < 13)
    for (int64_t d = axis + 1; d < x.rank(); ++d) length *= x.dim(d);
  else if (axis != x.rank() - 1)
    return SoftmaxOverMiddleAxis(ctx, axis);
  Tensor& y = ctx.OutputToOverwrite(0, DataType::kFloat, x.shape());
  ParallelFor(x.size() / length, GrainForWork(length), [&](int64_t first, int64_t last) {
    for (int64_t row = first; row < last; ++row) {
      const float* px = x.data<float>() + row * length;
      float* py = y.data<float>() + row * length;
      float max = px[0];
      for (int64_t i = 1; i < length; ++i) max = std::max(max, px[i]);
      const v128_t vmax = wasm_f32x4_splat(max);
      v128_t vsum = wasm_f32x4_splat(0.0f);
      int64_t i = 0;
      for (; i + 4 <= length; i += 4) {
        const v128_t e = f32x4_exp(wasm_f32x4_sub(wasm_v128_load(px + i), vmax));
        wasm_v128_store(py + i, e);
        vsum = wasm_f32x4_add(vsum, e);
      }
      float sum = HorizontalSum(vsum);
      for (; i < length; ++i) sum += py[i] = std::exp(px[i] - max);
      const float inverse = 1.0f / sum;
      for (i = 0; i < length; ++i) py[i] *= inverse;
    }
  });
  return Status::Ok();
}

}  // namespace

void RegisterFastFloatKernels(KernelRegistry& r) {
  r.Add("Erf", Erf, "", KernelVariant::kFast);
  r.Add("Gelu", Gelu, "", KernelVariant::kFast);
  r.Add("Gelu", Gelu, "com.microsoft", KernelVariant::kFast);
  r.Add("Softmax", Softmax, "", KernelVariant::kFast);
}

}  // namespace qplay
