// The requantizing step shared by the 8-bit kernels, four lanes at a time: an int32
// accumulator times a float scale, clamped to the output type's range minus its zero point,
// rounded half to even, plus the zero point. Bit for bit `Requantize` (i8_gemm.h).
#pragma once
#include "kernels/simd/simd.h"

namespace qplay {

// Adding 1.5 x 2^23 to a float of magnitude below 2^22 rounds it half to even (the FPU's
// mode) into the low mantissa bits, so the integer is the float's bits minus those of 1.5 x 2^23.
// Two instructions where f32x4.nearest + i32x4.trunc_sat_f32x4 cost about ten in V8's x64 code.
constexpr float kRoundingMagic = 12582912.0f;
constexpr int32_t kRoundingMagicBits = 0x4B400000;

// The constants of one output's rounding: [lo, hi] is the integer range minus the zero point.
struct RoundingLanes {
  v128_t lo, hi, magic, bias;  // bias: the magic number's bits minus the zero point
  RoundingLanes(float lo_value, float hi_value, int32_t zero_point)
      : lo(wasm_f32x4_splat(lo_value)),
        hi(wasm_f32x4_splat(hi_value)),
        magic(wasm_f32x4_splat(kRoundingMagic)),
        bias(wasm_i32x4_splat(kRoundingMagicBits - zero_point)) {}
};

// round_half_even(clamp(v, lo, hi)) + zero point as int32 lanes. pmax/pmin are std::max/min's
// (a < b ? b : a) and lower to one instruction each, where f32x4.max/min handle NaN and -0.
inline v128_t RoundClamped(v128_t v, const RoundingLanes& r) {
  const v128_t clamped = wasm_f32x4_pmin(wasm_f32x4_pmax(v, r.lo), r.hi);
  return wasm_i32x4_sub(wasm_f32x4_add(clamped, r.magic), r.bias);
}

inline v128_t RequantizeLanes(v128_t acc, v128_t scale, const RoundingLanes& r) {
  return RoundClamped(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc), scale), r);
}

}  // namespace qplay
