// A float convolution's GEMM without its B matrix: C[M, positions] = A[M, K] x B, B read in
// place (in_place_patches.h). Nothing is packed, where the GEMM (f32_gemm.h) writes K values
// for every output position first. Sums run kk by kk from zero, then the row bias and the
// clamp, as f32_gemm's do, so the two agree bit for bit.
#pragma once
#include <cstdint>
#include <vector>

#include "kernels/simd/f32_gemm.h"
#include "kernels/simd/in_place_patches.h"

namespace qplay {

// A in quads of rows: quad q holds A[4q + r][kk] at data[(q * k + kk) * 4 + r], zero past m.
struct F32RowQuads {
  int64_t m = 0, k = 0;
  std::vector<float> data;
  int64_t quads() const { return (m + 3) / 4; }
};

F32RowQuads PackF32RowQuads(const float* a, int64_t m, int64_t k);

// Tiles [tile_begin, tile_end) of every row of A: C[m][oy * b.width + ox] at
// c[m * ldc + oy * b.width + ox]. `source` holds at least b.ReadEnd(last tile + 1) floats.
// Takes params' row bias and clamp (no column bias).
void f32_conv_implicit_4x8__wasmsimd(const F32RowQuads& a, const float* source, const InPlacePatches& b, int64_t tile_begin,
                                     int64_t tile_end, float* c, int64_t ldc, const F32GemmParams& params);

}  // namespace qplay
