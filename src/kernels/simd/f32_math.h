// Vector math for the fast float kernels, four lanes at a time.
//   exp: range reduction to 2^n * e^r, |r| <= ln2/2, and a degree-6 polynomial for e^r:
//        relative error below 3e-7 over [-87, 88] (inputs beyond are clamped there).
//   erf: Abramowitz & Stegun 7.1.26, absolute error below 1.5e-7 (plus exp's).
#pragma once
#include "kernels/simd/simd.h"

namespace qplay {

inline v128_t f32x4_exp(v128_t x) {
  x = wasm_f32x4_min(wasm_f32x4_max(x, wasm_f32x4_splat(-87.0f)), wasm_f32x4_splat(88.0f));
  const v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)));
  // r = x - n * ln2, with ln2 split in two so the product is exact enough
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.0f / 720);
  for (const float c : {1.0f / 120, 1.0f / 24, 1.0f / 6, 0.5f, 1.0f, 1.0f})
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(c));
  const v128_t two_to_n = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, two_to_n);
}

inline v128_t f32x4_erf(v128_t x) {
  const v128_t ax = wasm_f32x4_abs(x);
  const v128_t t = wasm_f32x4_div(wasm_f32x4_splat(1.0f), wasm_f32x4_add(wasm_f32x4_splat(1.0f), wasm_f32x4_mul(wasm_f32x4_splat(0.3275911f), ax)));
  v128_t poly = wasm_f32x4_splat(1.061405429f);
  for (const float c : {-1.453152027f, 1.421413741f, -0.284496736f, 0.254829592f})
    poly = wasm_f32x4_add(wasm_f32x4_mul(poly, t), wasm_f32x4_splat(c));
  poly = wasm_f32x4_mul(poly, t);
  const v128_t y = wasm_f32x4_sub(wasm_f32x4_splat(1.0f), wasm_f32x4_mul(poly, f32x4_exp(wasm_f32x4_neg(wasm_f32x4_mul(ax, ax)))));
  // copy x's sign onto y
  const v128_t sign = wasm_v128_and(x, wasm_i32x4_splat(static_cast<int32_t>(0x80000000u)));
  return wasm_v128_or(y, sign);
}

}  // namespace qplay
