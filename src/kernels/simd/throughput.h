// How fast the 8-bit GEMM runs on this machine, against a peak measured the same way: a loop
// of independent i32x4.dot_i16x8_s + i32x4.add chains, the instruction pair the GEMM's inner
// loop is built from (8 multiply-adds, 16 operations, per pair); and, in a relaxed-SIMD build,
// the relaxed GEMM on the same shape. For bench/speed.mjs and bench/relaxed-simd.mjs.
#pragma once
#include <cstdint>

namespace qplay {

struct Int8GemmThroughput {
  double gemm_gops = 0;  // 2 * M * N * K per call
  double peak_gops = 0;
  double relaxed_gops = 0;  // the relaxed-SIMD GEMM on the same shape, where it runs (else 0)
  double fraction() const { return peak_gops > 0 ? gemm_gops / peak_gops : 0; }
};

Int8GemmThroughput MeasureInt8GemmThroughput(int64_t m, int64_t n, int64_t k, double seconds_each);

}  // namespace qplay
