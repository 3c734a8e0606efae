// Fast com.microsoft QLinearAdd and QLinearMul: ONNX Runtime's arithmetic
// (kernels/qlinear_binary_math.h) four lanes at a time, bit for bit the reference's. Operands of
// one shape, either repeating whole along the other (x + bias, bias + x), or a single value; other
// broadcasts, and scales whose sums could leave the lanes' exact range, use the reference.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "kernels/broadcast.h"
#include "kernels/qlinear_binary_math.h"
#include "kernels/quant_math.h"
#include "kernels/registry.h"
#include "kernels/simd/requantize.h"
#include "kernels/simd/simd.h"

namespace qplay {
namespace {

// Four stored 8-bit values as int32 lanes.
template <typename T>
v128_t Widen4(const T* q) {
  const v128_t bytes = wasm_v128_load32_zero(q);
  return std::is_signed_v<T> ? wasm_i32x4_extend_low_i16x8(wasm_i16x8_extend_low_i8x16(bytes))
                             : wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(bytes));
}

// FusedMultiplyAdd on four lanes: x (int32 lanes) times y plus z (float lanes), in two double halves.
v128_t FusedMultiplyAdd4(v128_t x, v128_t y, v128_t z) {
  auto half = [&](v128_t xs, v128_t zs) {
    const v128_t product = wasm_f64x2_mul(wasm_f64x2_convert_low_i32x4(xs), wasm_f64x2_promote_low_f32x4(y));
    return wasm_f32x4_demote_f64x2_zero(wasm_f64x2_add(product, wasm_f64x2_promote_low_f32x4(zs)));
  };
  const v128_t low = half(x, z), high = half(wasm_i64x2_shuffle(x, x, 1, 0), wasm_i64x2_shuffle(z, z, 1, 0));
  return wasm_i64x2_shuffle(low, high, 0, 2);
}

template <typename T>
void Store4(T* y, v128_t c, const RoundingLanes& rounding) {
  const v128_t out = RoundClamped(c, rounding);
  const v128_t words = wasm_i16x8_narrow_i32x4(out, out);
  const v128_t bytes = std::is_signed_v<T> ? wasm_i8x16_narrow_i16x8(words, words) : wasm_u8x16_narrow_i16x8(words, words);
  wasm_v128_store32_lane(y, bytes, 0);
}

// y[i] = c(a[i], b[i % period]) for the general layout, or c(a[i % period], b[i]) when
// `a_repeats`; with `scalar`, one operand is a single value and `fixed` already holds it. Lanes
// run within each period; the tail of each period is scalar.
template <typename T, bool kMul>
void Run(const T* a, const T* b, int64_t period, bool a_repeats, const QLinearAddTerms& add, const QLinearMulTerms& mul,
         ScalarOperand scalar, T* y, int64_t count) {
  constexpr float kMin = std::is_signed_v<T> ? -128.0f : 0.0f, kMax = std::is_signed_v<T> ? 127.0f : 255.0f;
  const RoundingLanes rounding(kMin, kMax, 0);
  auto one = [&](int32_t qa, int32_t qb) {
    return RoundAndSaturateLikeX86<T>(kMul ? mul.Product(qa, qb) : add.Sum(qa, qb, scalar));
  };
  if (scalar != ScalarOperand::kNone) {  // `b` is the single value; `a` runs over all
    const bool b_scalar = scalar == ScalarOperand::kB;
    const int32_t single = b_scalar ? b[0] : a[0];
    const T* full = b_scalar ? a : b;
    const float fixed = b_scalar ? add.fixed + static_cast<float>(single) * add.ratio_b : add.fixed + static_cast<float>(single) * add.ratio_a;
    const v128_t ratio = wasm_f32x4_splat(b_scalar ? add.ratio_a : add.ratio_b), fixed4 = wasm_f32x4_splat(fixed);
    const v128_t other = wasm_i32x4_splat(single - (b_scalar ? mul.zero_b : mul.zero_a));
    const v128_t full_zero = wasm_i32x4_splat(b_scalar ? mul.zero_a : mul.zero_b);
    const v128_t mul_ratio = wasm_f32x4_splat(mul.ratio), zero_c = wasm_f32x4_splat(mul.zero_c);
    int64_t i = 0;
    for (; i + 4 <= count; i += 4) {
      const v128_t q = Widen4(full + i);
      const v128_t c = kMul ? wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_mul(wasm_i32x4_sub(q, full_zero), other)), mul_ratio), zero_c)
                            : FusedMultiplyAdd4(q, ratio, fixed4);
      Store4(y + i, c, rounding);
    }
    for (; i < count; ++i) y[i] = b_scalar ? one(full[i], single) : one(single, full[i]);
    return;
  }
  const v128_t ratio_a = wasm_f32x4_splat(add.ratio_a), ratio_b = wasm_f32x4_splat(add.ratio_b), fixed = wasm_f32x4_splat(add.fixed);
  const v128_t zero_a = wasm_i32x4_splat(mul.zero_a), zero_b = wasm_i32x4_splat(mul.zero_b);
  const v128_t mul_ratio = wasm_f32x4_splat(mul.ratio), zero_c = wasm_f32x4_splat(mul.zero_c);
  // The repeating operand advances by the period's offset j only; the other by start + j.
  const int64_t a_step = a_repeats ? 0 : 1, b_step = a_repeats ? 1 : 0;
  for (int64_t start = 0; start < count; start += period) {
    const T *a_run = a + start * a_step, *b_run = b + start * b_step;
    int64_t j = 0;
    for (; j + 4 <= period; j += 4) {
      const v128_t qa = Widen4(a_run + j), qb = Widen4(b_run + j);
      const v128_t c = kMul ? wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_mul(wasm_i32x4_sub(qa, zero_a), wasm_i32x4_sub(qb, zero_b))), mul_ratio), zero_c)
                            : FusedMultiplyAdd4(qa, ratio_a, FusedMultiplyAdd4(qb, ratio_b, fixed));
      Store4(y + start + j, c, rounding);
    }
    for (; j < period; ++j) y[start + j] = one(a_run[j], b_run[j]);
  }
}

template <bool kMul>
Status Binary(KernelContext& ctx) {
  const Tensor &a = ctx.in(0), &b = ctx.in(3);
  const Tensor* y_zp = ctx.has(7) ? &ctx.in(7) : nullptr;
  const DataType type = y_zp ? y_zp->dtype() : DataType::kUint8;
  const bool scalars = ctx.in(1).size() == 1 && ctx.in(4).size() == 1 && ctx.in(6).size() == 1 &&
                       ctx.in(1).dtype() == DataType::kFloat && ctx.in(4).dtype() == DataType::kFloat && ctx.in(6).dtype() == DataType::kFloat;
  auto shape = BroadcastShapes({a.shape(), b.shape()});
  if (!shape.ok() || !scalars || a.dtype() != type || b.dtype() != type || !Is8Bit(a)) return RunReferenceKernel(ctx);
  const float sa = ctx.in(1).data<float>()[0], sb = ctx.in(4).data<float>()[0], sc = ctx.in(6).data<float>()[0];
  const int32_t za = ZeroPointAt(&ctx.in(2), 0), zb = ZeroPointAt(ctx.has(5) ? &ctx.in(5) : nullptr, 0), zc = ZeroPointAt(y_zp, 0);
  const QLinearAddTerms add(sa, za, sb, zb, sc, zc);
  const QLinearMulTerms mul(sa, za, sb, zb, sc, zc);
  // The lanes round with an exact magic-number add, valid while |c| stays well below 2^22.
  const double bound = kMul ? 65536.0 * std::fabs(mul.ratio) + std::fabs(mul.zero_c)
                            : std::fabs(add.fixed) + 256.0 * (std::fabs(add.ratio_a) + std::fabs(add.ratio_b));
  if (!(bound < 1 << 21)) return RunReferenceKernel(ctx);
  const ScalarOperand scalar = InnermostScalarOperand(*shape, a.shape(), b.shape());
  const bool single_a = a.size() == 1 && scalar == ScalarOperand::kA, single_b = b.size() == 1 && scalar == ScalarOperand::kB;
  const bool same = a.shape() == *shape && b.shape() == *shape && scalar == ScalarOperand::kNone;
  const bool b_repeats = a.shape() == *shape && IsTrailingBlock(b.shape(), *shape) && scalar == ScalarOperand::kNone;
  // A bias first (Add(bias, x), as PyTorch exports Linear on 3-D inputs).
  const bool a_repeats = !b_repeats && b.shape() == *shape && IsTrailingBlock(a.shape(), *shape) && scalar == ScalarOperand::kNone;
  if (!(single_a || single_b || same || b_repeats || a_repeats)) return RunReferenceKernel(ctx);
  Tensor& y = ctx.OutputToOverwrite(0, type, *shape);
  if (y.size() == 0) return Status::Ok();
  const int64_t period = single_a || single_b ? y.size() : a_repeats ? a.size() : b.size();
  if (type == DataType::kUint8)
    Run<uint8_t, kMul>(a.data<uint8_t>(), b.data<uint8_t>(), period, a_repeats, add, mul, scalar, y.data<uint8_t>(), y.size());
  else
    Run<int8_t, kMul>(a.data<int8_t>(), b.data<int8_t>(), period, a_repeats, add, mul, scalar, y.data<int8_t>(), y.size());
  return Status::Ok();
}

}  // namespace

void RegisterFastQLinearBinaryKernels(KernelRegistry& r) {
  r.Add("QLinearAdd", Binary<false>, "com.microsoft", KernelVariant::kFast);
  r.Add("QLinearMul", Binary<true>, "com.microsoft", KernelVariant::kFast);
}

}  // namespace qplay
