// Fast float LayerNormalization (over the dims from any axis), InstanceNormalization and
// GroupNormalization. Each row's mean and variance are summed in double in the reference's
// order; the normalization is applied in float SIMD, within 1e-5 relative of the reference
// (tests/fast_kernels_test.cpp). Other types, the optional mean and inv_std outputs, and a
// scale or bias that broadcasts go to the reference kernels.
#include <cmath>

#include "core/thread_pool.h"
#include "kernels/moments.h"
#include "kernels/registry.h"
#include "kernels/simd/simd.h"

namespace qplay {
namespace {

struct RowStats {
  float mean, inv_std;
};

RowStats StatsOf(const float* p, int64_t n, double eps) {
  const auto [mean, var] = MeanAndVariance(p, n);
  return {static_cast<float>(mean), static_cast<float>(1.0 / std::sqrt(var + eps))};
}

// y = (x - mean) * a + b over n values, a and b the same for all.
void NormalizeRun(const float* x, float* y, int64_t n, float mean, float a, float b) {
  const v128_t vmean = wasm_f32x4_splat(mean), va = wasm_f32x4_splat(a), vb = wasm_f32x4_splat(b);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    wasm_v128_store(y + i, wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + i), vmean), va), vb));
  for (; i < n; ++i) y[i] = (x[i] - mean) * a + b;
}

// The product of x's dims from the node's axis on: the rows LayerNormalization normalizes (0
// when the axis is out of range).
int64_t RowLength(const KernelContext& ctx, const Tensor& x) {
  int64_t axis = ctx.node.GetInt("axis", -1);
  if (x.rank() == 0 || !NormalizeAxis(axis, x.rank())) return 0;
  int64_t length = 1;
  for (int64_t d = axis; d < x.rank(); ++d) length *= x.dim(d);
  return length;
}

bool IsFloatOfSize(const Tensor* t, int64_t size) { return !t || (t->dtype() == DataType::kFloat && t->size() == size); }

Status LayerNormalization(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  const int64_t length = RowLength(ctx, x);
  const Tensor& scale = ctx.in(1);
  const Tensor* bias = ctx.has(2) ? &ctx.in(2) : nullptr;
  if (x.dtype() != DataType::kFloat || length == 0 || !IsFloatOfSize(&scale, length) || !IsFloatOfSize(bias, length) ||
      ctx.wants(1) || ctx.wants(2))
    return RunReferenceKernel(ctx);
  const double eps = ctx.node.GetFloat("epsilon", 1e-5f);
  Tensor& y = ctx.OutputToOverwrite(0, DataType::kFloat, x.shape());
  const float *ps = scale.data<float>(), *pb = bias ? bias->data<float>() : nullptr;
  ParallelFor(x.size() / length, GrainForWork(length), [&](int64_t first, int64_t last) {
    for (int64_t row = first; row < last; ++row) {
      const float* px = x.data<float>() + row * length;
      float* py = y.data<float>() + row * length;
      const RowStats stats = StatsOf(px, length, eps);
      const v128_t vmean = wasm_f32x4_splat(stats.mean), vinv = wasm_f32x4_splat(stats.inv_std);
      int64_t i = 0;
      for (; i + 4 <= length; i += 4) {
        v128_t v = wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(px + i), vmean), vinv), wasm_v128_load(ps + i));
        if (pb) v = wasm_f32x4_add(v, wasm_v128_load(pb + i));
        wasm_v128_store(py + i, v);
      }
      for (; i < length; ++i) py[i] = (px[i] - stats.mean) * stats.inv_std * ps[i] + (pb ? pb[i] : 0.0f);
    }
  });
  return Status::Ok();
}

// X [N, C, ...] normalized over each of `groups` groups of channels, then scaled and shifted per
// channel, or per group when `per_group_affine` (GroupNormalization before opset 21): the
// threads take runs of (image, group).
Status NormalizeGroups(KernelContext& ctx, int64_t groups, bool per_group_affine) {
  const Tensor &x = ctx.in(0), &scale = ctx.in(1), &bias = ctx.in(2);
  if (x.dtype() != DataType::kFloat || x.rank() < 2 || x.size() == 0 || groups < 1 || x.dim(1) % groups != 0 ||
      !IsFloatOfSize(&scale, per_group_affine ? groups : x.dim(1)) || !IsFloatOfSize(&bias, scale.size()))
    return RunReferenceKernel(ctx);
  const double eps = ctx.node.GetFloat("epsilon", 1e-5f);
  const int64_t channels = x.dim(1), per_channel = x.size() / (x.dim(0) * channels);
  const int64_t channels_per_group = channels / groups, per_group = per_channel * channels_per_group;
  Tensor& y = ctx.OutputToOverwrite(0, DataType::kFloat, x.shape());
  ParallelFor(x.dim(0) * groups, GrainForWork(per_group), [&](int64_t first, int64_t last) {
    for (int64_t image_group = first; image_group < last; ++image_group) {
      const float* px = x.data<float>() + image_group * per_group;
      float* py = y.data<float>() + image_group * per_group;
      const RowStats stats = StatsOf(px, per_group, eps);
      const int64_t group = image_group % groups;
      for (int64_t c = 0; c < channels_per_group; ++c) {
        const int64_t affine = per_group_affine ? group : group * channels_per_group + c;
        NormalizeRun(px + c * per_channel, py + c * per_channel, per_channel, stats.mean,
                     stats.inv_std * scale.data<float>()[affine], bias.data<float>()[affine]);
      }
    }
  });
  return Status::Ok();
}

Status InstanceNormalization(KernelContext& ctx) {
  if (ctx.in(0).rank() < 2) return RunReferenceKernel(ctx);
  return NormalizeGroups(ctx, ctx.in(0).dim(1), false);
}

Status GroupNormalization(KernelContext& ctx) {
  return NormalizeGroups(ctx, ctx.node.GetInt("num_groups", 1), ctx.opset < 21);
}

}  // namespace

void RegisterFastNormalizationKernels(KernelRegistry& r) {
  r.Add("LayerNormalization", LayerNormalization, "", KernelVariant::kFast);
  r.Add("InstanceNormalization", InstanceNormalization, "", KernelVariant::kFast);
  r.Add("GroupNormalization", GroupNormalization, "", KernelVariant::kFast);
}

}  // namespace qplay
