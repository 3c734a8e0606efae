// A stride-1 float convolution's GEMM without its B matrix: C[M, positions] = A[M, K] x B,
// where row kk of B (a channel and a tap) at output (oy, ox) is read in place, at
// source[offsets[kk] + oy * row_stride + ox]: source is the input's planes, zero-padded first
// when the convolution pads. Nothing is packed, where the GEMM (f32_gemm.h) writes K values for
// every output position first. Sums run kk by kk from zero, then the row bias and the clamp, as
// f32_gemm's do, so the two agree bit for bit.
#pragma once
#include <cstdint>
#include <vector>

#include "kernels/simd/f32_gemm.h"

namespace qplay {

// A in quads of rows: quad q holds A[4q + r][kk] at data[(q * k + kk) * 4 + r], zero past m.
struct F32RowQuads {
  int64_t m = 0, k = 0;
  std::vector<float> data;
  int64_t quads() const { return (m + 3) / 4; }
};

F32RowQuads PackF32RowQuads(const float* a, int64_t m, int64_t k);

struct F32ImplicitB {
  const float* source = nullptr;  // at least ReadEnd() floats
  std::vector<int64_t> offsets;   // one per row of B, ascending
  int64_t row_stride = 0;        // source floats from one output row to the next
  int64_t width = 0;             // output columns per row

  // Output positions go in tiles of 8 along each row, the last of a row maybe shorter: tile t
  // is row t / TilesPerRow() from column 8 * (t % TilesPerRow()).
  int64_t TilesPerRow() const { return (width + 7) / 8; }
  // Where tile t starts in row-major output order; tiles [t0, t1) cover [TileStart(t0), TileStart(t1)).
  int64_t TileStart(int64_t t) const { return (t / TilesPerRow()) * width + (t % TilesPerRow()) * 8; }
  // Where tile t's samples start in the source, before each row's offset.
  int64_t TileBase(int64_t t) const { return (t / TilesPerRow()) * row_stride + (t % TilesPerRow()) * 8; }
  // The source floats `tiles` tiles read: 8 samples from every row's offset, a short tile's too.
  int64_t ReadEnd(int64_t tiles) const { return TileBase(tiles - 1) + offsets.back() + 8; }
};

// Tiles [tile_begin, tile_end) of every row of A: C[m][oy * b.width + ox] at
// c[m * ldc + oy * b.width + ox]. Takes params' row bias and clamp (no column bias).
void f32_conv_implicit_4x8__wasmsimd(const F32RowQuads& a, const F32ImplicitB& b, int64_t tile_begin, int64_t tile_end,
                                     float* c, int64_t ldc, const F32GemmParams& params);

}  // namespace qplay
