// Fast com.microsoft QLinearAdd and QLinearMul: the reference's arithmetic (dequantize both
// operands, add or multiply in float, divide by the output scale, round half to even) done
// four lanes at a time, so results are bit for bit the reference's. Operands of the same
// shape, or one repeating whole along the other (x + bias); other broadcasts use the reference.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "kernels/broadcast.h"
#include "kernels/quant_math.h"
#include "kernels/registry.h"
#include "kernels/simd/requantize.h"
#include "kernels/simd/simd.h"

namespace qplay {
namespace {

struct Operand {
  const Tensor* q;
  float scale;
  int32_t zero_point;
};

template <bool kMul>
float Combine(float a, float b) { return kMul ? a * b : a + b; }

template <bool kMul>
v128_t Combine(v128_t a, v128_t b) { return kMul ? wasm_f32x4_mul(a, b) : wasm_f32x4_add(a, b); }

template <typename T>
v128_t Dequantize4(const T* q, v128_t zero_point, v128_t scale) {
  const v128_t bytes = wasm_v128_load32_zero(q);
  const v128_t wide = std::is_signed_v<T> ? wasm_i32x4_extend_low_i16x8(wasm_i16x8_extend_low_i8x16(bytes))
                                          : wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(bytes));
  return wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_sub(wide, zero_point)), scale);
}

// y = requantized(a op b), with b repeating every `b_period` elements of a (b_period == count:
// same shape), four lanes at a time within each period.
template <typename T, bool kMul>
void Run(const Operand& a, const Operand& b, int64_t b_period, float y_scale, int32_t y_zp, T* y, int64_t count) {
  constexpr int32_t kMin = std::is_signed_v<T> ? -128 : 0, kMax = std::is_signed_v<T> ? 127 : 255;
  const float lo = static_cast<float>(kMin - y_zp), hi = static_cast<float>(kMax - y_zp);
  const T *pa = a.q->data<T>(), *pb = b.q->data<T>();
  auto real = [](const Operand& o, T q) { return static_cast<float>(static_cast<int32_t>(q) - o.zero_point) * o.scale; };
  const v128_t za = wasm_i32x4_splat(a.zero_point), zb = wasm_i32x4_splat(b.zero_point);
  const v128_t sa = wasm_f32x4_splat(a.scale), sb = wasm_f32x4_splat(b.scale), sy = wasm_f32x4_splat(y_scale);
  const RoundingLanes rounding(lo, hi, y_zp);
  // A scalar b is one period of the whole tensor, its value in every lane.
  const bool scalar = b_period == 1;
  const v128_t b_splat = wasm_f32x4_splat(real(b, pb[0]));
  if (scalar) b_period = count;
  for (int64_t start = 0; start < count; start += b_period) {
    int64_t j = 0;
    for (; j + 4 <= b_period; j += 4) {
      const v128_t sum = Combine<kMul>(Dequantize4(pa + start + j, za, sa), scalar ? b_splat : Dequantize4(pb + j, zb, sb));
      const v128_t out = RoundClamped(wasm_f32x4_div(sum, sy), rounding);
      const v128_t words = wasm_i16x8_narrow_i32x4(out, out);
      const v128_t bytes = std::is_signed_v<T> ? wasm_i8x16_narrow_i16x8(words, words) : wasm_u8x16_narrow_i16x8(words, words);
      wasm_v128_store32_lane(y + start + j, bytes, 0);
    }
    for (; j < b_period; ++j) {
      const float q = std::nearbyint(Combine<kMul>(real(a, pa[start + j]), real(b, pb[scalar ? 0 : j])) / y_scale);
      y[start + j] = static_cast<T>(static_cast<int32_t>(std::min(std::max(q, lo), hi)) + y_zp);
    }
  }
}

template <bool kMul>
Status Binary(KernelContext& ctx) {
  const Tensor &a = ctx.in(0), &b = ctx.in(3);
  const Tensor* y_zp = ctx.has(7) ? &ctx.in(7) : nullptr;
  const DataType type = y_zp ? y_zp->dtype() : DataType::kUint8;
  const bool scalars = ctx.in(1).size() == 1 && ctx.in(4).size() == 1 && ctx.in(6).size() == 1;
  auto shape = BroadcastShapes({a.shape(), b.shape()});
  if (!shape.ok() || !scalars || a.dtype() != type || b.dtype() != type || !Is8Bit(a)) return RunReferenceKernel(ctx);
  Operand full{&a, ctx.in(1).data<float>()[0], ZeroPointAt(&ctx.in(2), 0)};
  Operand repeated{&b, ctx.in(4).data<float>()[0], ZeroPointAt(ctx.has(5) ? &ctx.in(5) : nullptr, 0)};
  if (b.shape() == *shape && a.shape() != *shape) std::swap(full, repeated);  // both ops commute
  if (full.q->shape() != *shape || !(repeated.q->shape() == *shape || IsTrailingBlock(repeated.q->shape(), *shape)))
    return RunReferenceKernel(ctx);
  Tensor& y = ctx.OutputToOverwrite(0, type, *shape);
  const float y_scale = ctx.in(6).data<float>()[0];
  const int64_t period = repeated.q->size();
  if (type == DataType::kUint8) Run<uint8_t, kMul>(full, repeated, period, y_scale, ZeroPointAt(y_zp, 0), y.data<uint8_t>(), y.size());
  else Run<int8_t, kMul>(full, repeated, period, y_scale, ZeroPointAt(y_zp, 0), y.data<int8_t>(), y.size());
  return Status::Ok();
}

}  // namespace

void RegisterFastQLinearBinaryKernels(KernelRegistry& r) {
  r.Add("QLinearAdd", Binary<false>, "com.microsoft", KernelVariant::kFast);
  r.Add("QLinearMul", Binary<true>, "com.microsoft", KernelVariant::kFast);
}

}  // namespace qplay
