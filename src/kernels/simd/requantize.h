// The requantizing step shared by the 8-bit kernels, four lanes at a time: an int32
// accumulator times a float scale, clamped to the output type's range minus its zero point,
// rounded half to even, plus the zero point. Bit for bit `Requantize` (i8_gemm.h).
#pragma once
#include "kernels/simd/simd.h"

namespace qplay {

inline v128_t RequantizeLanes(v128_t acc, v128_t scale, v128_t lo, v128_t hi, v128_t zero_point) {
  const v128_t scaled = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc), scale);
  const v128_t rounded = wasm_f32x4_nearest(wasm_f32x4_min(wasm_f32x4_max(scaled, lo), hi));
  return wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(rounded), zero_point);
}

}  // namespace qplay
