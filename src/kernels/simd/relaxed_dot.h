// Relaxed SIMD's 8-bit dot product, i32x4.relaxed_dot_i8x16_i7x16_add_s: each int32 lane adds
// four products of a signed byte of the first operand and a byte of the second. The second
// operand is meant to be 7-bit: when its top bit is set, the engine reads the byte either as
// unsigned (x64 with VNNI, one vpdpbusd) or as signed (Arm's sdot), or sums pairs in saturating
// int16 (x64 without VNNI). RelaxedDot() tells which, from a probe run once; the 8-bit GEMM uses
// the instruction only when the reading is exact, and stores its operands for that reading.
#pragma once
#include "kernels/simd/relaxed_dot_mode.h"
#include "kernels/simd/simd.h"

namespace qplay {

// The reading `dot_add` gives on full bytes: the probe behind RelaxedDot, for tests.
template <typename DotAdd>
RelaxedDotMode ProbeRelaxedDot(DotAdd dot_add) {
  // volatile so that the compiler cannot fold the instruction away.
  volatile int8_t ones = 1, min = -128, all_bits = -1;
  const v128_t zero = wasm_i32x4_splat(0);
  const int32_t one_by_ff = wasm_i32x4_extract_lane(dot_add(wasm_i8x16_splat(ones), wasm_i8x16_splat(all_bits), zero), 0);
  const int32_t min_by_ff = wasm_i32x4_extract_lane(dot_add(wasm_i8x16_splat(min), wasm_i8x16_splat(all_bits), zero), 0);
  const int32_t min_by_80 = wasm_i32x4_extract_lane(dot_add(wasm_i8x16_splat(min), wasm_i8x16_splat(min), zero), 0);
  if (one_by_ff == 4 * 255 && min_by_ff == 4 * -128 * 255 && min_by_80 == 4 * -128 * 128) return RelaxedDotMode::kUnsigned;
  if (one_by_ff == -4 && min_by_ff == 4 * 128 && min_by_80 == 4 * 128 * 128) return RelaxedDotMode::kSigned;
  return RelaxedDotMode::kNone;
}

// The instruction in a relaxed-SIMD build. Elsewhere the signed reading, exactly, in base SIMD:
// the native tests run the relaxed GEMM through it.
inline v128_t RelaxedDotAdd(v128_t a, v128_t b, v128_t acc) {
#if defined(__wasm_relaxed_simd__)
  return wasm_i32x4_relaxed_dot_i8x16_i7x16_add(a, b, acc);
#else
  const v128_t low = wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(a), wasm_i16x8_extend_low_i8x16(b));
  const v128_t high = wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(a), wasm_i16x8_extend_high_i8x16(b));
  const v128_t even = wasm_i32x4_shuffle(low, high, 0, 2, 4, 6), odd = wasm_i32x4_shuffle(low, high, 1, 3, 5, 7);
  return wasm_i32x4_add(acc, wasm_i32x4_add(even, odd));
#endif
}

}  // namespace qplay
