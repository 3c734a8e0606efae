// Vectorized QuantizeLinear and DequantizeLinear for 8-bit types (per tensor or per axis),
// bit for bit the reference kernels' results. A DequantizeLinear of a constant (a weight
// feeding an op that stays float) is computed once per session.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "core/thread_pool.h"
#include "kernels/quant_math.h"
#include "kernels/registry.h"
#include "kernels/simd/requantize.h"
#include "kernels/simd/simd.h"

namespace qplay {
namespace {

// The run of `inner` elements that share one scale and zero point, `blocks` times over.
struct ParamBlocks {
  int64_t inner = 0, channels = 1;
};

// Calls fn(first element, count, channel) on runs of x that share one scale and zero point; the
// threads take contiguous pieces of x, cut at the blocks' edges.
template <typename Fn>
void ForEachRun(const Tensor& x, const ParamBlocks& blocks, Fn fn) {
  if (blocks.inner == 0) return;
  ParallelFor(x.size(), GrainForWork(1), [&](int64_t begin, int64_t end) {
    for (int64_t at = begin; at < end;) {
      const int64_t block = at / blocks.inner, stop = std::min(end, (block + 1) * blocks.inner);
      fn(at, stop - at, block % blocks.channels);
      at = stop;
    }
  });
}

// False where the reference kernel runs: opset 21's blocks, and QuantizeLinear's output_dtype.
bool PlanBlocks(const KernelContext& ctx, const Tensor& x, const Tensor& scale, ParamBlocks& blocks) {
  if (ctx.node.GetInt("block_size", 0) != 0 || ctx.node.Has("output_dtype")) return false;
  blocks.inner = x.size();
  if (scale.size() == 1) return true;
  int64_t axis = ctx.node.GetInt("axis", 1);
  if (scale.rank() != 1 || !NormalizeAxis(axis, x.rank()) || x.dim(axis) != scale.size()) return false;
  blocks.channels = scale.size();
  blocks.inner = 1;
  for (int64_t d = axis + 1; d < x.rank(); ++d) blocks.inner *= x.dim(d);
  return true;
}

template <typename T>
void DequantizeRun(const T* x, int64_t count, int32_t zero_point, float scale, float* y) {
  const v128_t zp = wasm_i32x4_splat(zero_point);
  const v128_t s = wasm_f32x4_splat(scale);
  int64_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const v128_t wide = std::is_signed_v<T> ? wasm_i16x8_load8x8(x + i) : wasm_u16x8_load8x8(x + i);
    const v128_t lo = wasm_i32x4_sub(wasm_i32x4_extend_low_i16x8(wide), zp);
    const v128_t hi = wasm_i32x4_sub(wasm_i32x4_extend_high_i16x8(wide), zp);
    wasm_v128_store(y + i, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(lo), s));
    wasm_v128_store(y + i + 4, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(hi), s));
  }
  for (; i < count; ++i) y[i] = static_cast<float>(static_cast<int32_t>(x[i]) - zero_point) * scale;
}

template <typename T>
void QuantizeRun(const float* x, int64_t count, int32_t zero_point, float scale, T* y) {
  constexpr int32_t kMin = std::is_signed_v<T> ? -128 : 0, kMax = std::is_signed_v<T> ? 127 : 255;
  const float lo = static_cast<float>(kMin - zero_point), hi = static_cast<float>(kMax - zero_point);
  const v128_t s = wasm_f32x4_splat(scale);
  const RoundingLanes rounding(lo, hi, zero_point);
  int64_t i = 0;
  const v128_t lowest = wasm_f32x4_splat(lo);
  auto lanes = [&](int64_t at) {  // NaN takes the lowest level, as SaturateRound gives it
    const v128_t v = wasm_f32x4_div(wasm_v128_load(x + at), s);
    return RoundClamped(wasm_v128_bitselect(v, lowest, wasm_f32x4_eq(v, v)), rounding);
  };
  for (; i + 8 <= count; i += 8) {  // in range already: the narrowing does not saturate
    const v128_t words = wasm_i16x8_narrow_i32x4(lanes(i), lanes(i + 4));
    const v128_t bytes = std::is_signed_v<T> ? wasm_i8x16_narrow_i16x8(words, words) : wasm_u8x16_narrow_i16x8(words, words);
    wasm_v128_store64_lane(y + i, bytes, 0);
  }
  for (; i < count; ++i) y[i] = SaturateRound<T>(std::nearbyint(x[i] / scale) + static_cast<float>(zero_point));
}

template <typename T>
Tensor Dequantized(const Tensor& x, const Tensor& scale, const Tensor* zero_point, const ParamBlocks& blocks) {
  Tensor y = Tensor::Uninitialized(DataType::kFloat, x.shape());
  ForEachRun(x, blocks, [&](int64_t at, int64_t count, int64_t c) {
    DequantizeRun(x.data<T>() + at, count, ZeroPointAt(zero_point, c), scale.data<float>()[c], y.data<float>() + at);
  });
  return y;
}

Status DequantizeLinear(KernelContext& ctx) {
  const Tensor &x = ctx.in(0), &scale = ctx.in(1);
  const Tensor* zero_point = ctx.has(2) ? &ctx.in(2) : nullptr;
  ParamBlocks blocks;
  if (!Is8Bit(x) || scale.dtype() != DataType::kFloat || !PlanBlocks(ctx, x, scale, blocks)) return RunReferenceKernel(ctx);
  auto y = ctx.Derived<Tensor>(ctx.constant(0) && ctx.constant(1) && (!zero_point || ctx.constant(2)), [&] {
    return x.dtype() == DataType::kUint8 ? Dequantized<uint8_t>(x, scale, zero_point, blocks)
                                         : Dequantized<int8_t>(x, scale, zero_point, blocks);
  });
  ctx.SetOutput(0, *y);
  return Status::Ok();
}

Status QuantizeLinear(KernelContext& ctx) {
  const Tensor &x = ctx.in(0), &scale = ctx.in(1);
  const Tensor* zero_point = ctx.has(2) ? &ctx.in(2) : nullptr;
  const DataType type = zero_point ? zero_point->dtype() : DataType::kUint8;
  ParamBlocks blocks;
  if (x.dtype() != DataType::kFloat || scale.dtype() != DataType::kFloat || (type != DataType::kUint8 && type != DataType::kInt8) ||
      !PlanBlocks(ctx, x, scale, blocks))
    return RunReferenceKernel(ctx);
  Tensor& y = ctx.OutputToOverwrite(0, type, x.shape());
  ForEachRun(x, blocks, [&](int64_t at, int64_t count, int64_t c) {
    const int32_t zp = ZeroPointAt(zero_point, c);
    const float s = scale.data<float>()[c];
    if (type == DataType::kUint8) QuantizeRun(x.data<float>() + at, count, zp, s, y.data<uint8_t>() + at);
    else QuantizeRun(x.data<float>() + at, count, zp, s, y.data<int8_t>() + at);
  });
  return Status::Ok();
}

// DynamicQuantizeLinear: uint8 parameters from the tensor's own range (which includes 0);
// the min/max reductions use pmin/pmax, std::min/std::max's semantics, so results match.
Status DynamicQuantizeLinear(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  if (x.dtype() != DataType::kFloat) return RunReferenceKernel(ctx);
  const float* px = x.data<float>();
  v128_t vlo = wasm_f32x4_splat(0.0f), vhi = vlo;
  int64_t i = 0;
  for (; i + 4 <= x.size(); i += 4) {
    const v128_t v = wasm_v128_load(px + i);
    vlo = wasm_f32x4_pmin(vlo, v);
    vhi = wasm_f32x4_pmax(vhi, v);
  }
  alignas(16) float lows[4], highs[4];
  wasm_v128_store(lows, vlo);
  wasm_v128_store(highs, vhi);
  float lo = 0, hi = 0;
  for (int l = 0; l < 4; ++l) lo = std::min(lo, lows[l]), hi = std::max(hi, highs[l]);
  for (; i < x.size(); ++i) lo = std::min(lo, px[i]), hi = std::max(hi, px[i]);
  const float scale = (hi - lo) / 255.0f;
  const float zp = DynamicZeroPoint(lo, scale);
  Tensor& y = ctx.Output(0, DataType::kUint8, x.shape());  // all zero when x is
  if (scale != 0) QuantizeRun(px, x.size(), static_cast<int32_t>(zp), scale, y.data<uint8_t>());
  ctx.SetOutput(1, Tensor::Scalar<float>(scale));
  ctx.SetOutput(2, Tensor::Scalar<uint8_t>(static_cast<uint8_t>(zp)));
  return Status::Ok();
}

}  // namespace

void RegisterFastQuantizeKernels(KernelRegistry& r) {
  r.Add("DynamicQuantizeLinear", DynamicQuantizeLinear, "", KernelVariant::kFast);
  r.Add("QuantizeLinear", QuantizeLinear, "", KernelVariant::kFast);
  r.Add("DequantizeLinear", DequantizeLinear, "", KernelVariant::kFast);
}

}  // namespace qplay
