#include "kernels/simd/f32_conv_implicit.h"

#include <algorithm>

#include "kernels/simd/simd.h"

namespace qplay {

F32RowQuads PackF32RowQuads(const float* a, int64_t m, int64_t k) {
  F32RowQuads packed;
  packed.m = m;
  packed.k = k;
  packed.data.assign(static_cast<size_t>(packed.quads() * k * 4), 0.0f);
  for (int64_t row = 0; row < m; ++row)
    for (int64_t kk = 0; kk < k; ++kk) packed.data[((row / 4) * k + kk) * 4 + row % 4] = a[row * k + kk];
  return packed;
}

namespace {

// Rows of B a tile's sums take at a time, so that the source lines they read (a line or two
// per row) stay in L1 while every quad of A's rows takes them; the sums in between wait in C.
constexpr int64_t kRowsOfBInCache = 128;

// Where one tile's sums go: `rows` rows of C from dst, `columns` of its 8 positions.
struct TileOutput {
  float* dst;
  int64_t ldc, rows, columns;
  v128_t Load(int64_t r, int h) const {
    if (columns == 8) return wasm_v128_load(dst + r * ldc + 4 * h);
    alignas(16) float lanes[8] = {};
    std::copy_n(dst + r * ldc, columns, lanes);
    return wasm_v128_load(lanes + 4 * h);
  }
  void Store(int64_t r, v128_t low, v128_t high) const {
    if (columns == 8) {
      wasm_v128_store(dst + r * ldc, low);
      wasm_v128_store(dst + r * ldc + 4, high);
      return;
    }
    alignas(16) float lanes[8];
    wasm_v128_store(lanes, low);
    wasm_v128_store(lanes + 4, high);
    std::copy_n(lanes, columns, dst + r * ldc);
  }
};

// Rows [kk_begin, kk_end) of the sums of rows [4q, 4q + 4) of C at 8 output positions that
// start `base` floats into the source: from zero on the first rows of B, else from the partial
// sums in C; the row bias and the clamp after the last.
void Tile(const float* quad, const float* source, const InPlacePatches& b, int64_t k, int64_t kk_begin, int64_t kk_end, int64_t base,
          const TileOutput& out, const float* row_bias, const F32GemmParams& params) {
  v128_t acc[4][2];
  for (int64_t r = 0; r < 4; ++r)
    for (int h = 0; h < 2; ++h) acc[r][h] = kk_begin == 0 || r >= out.rows ? wasm_f32x4_splat(0.0f) : out.Load(r, h);
  for (int64_t kk = kk_begin; kk < kk_end; ++kk) {
    const float* src = source + base + b.offsets[kk];
    const v128_t b0 = wasm_v128_load(src), b1 = wasm_v128_load(src + 4);
    const v128_t a = wasm_v128_load(quad + kk * 4);
    const v128_t a_rows[4] = {wasm_i32x4_shuffle(a, a, 0, 0, 0, 0), wasm_i32x4_shuffle(a, a, 1, 1, 1, 1),
                              wasm_i32x4_shuffle(a, a, 2, 2, 2, 2), wasm_i32x4_shuffle(a, a, 3, 3, 3, 3)};
    for (int r = 0; r < 4; ++r) {
      acc[r][0] = wasm_f32x4_add(acc[r][0], wasm_f32x4_mul(a_rows[r], b0));
      acc[r][1] = wasm_f32x4_add(acc[r][1], wasm_f32x4_mul(a_rows[r], b1));
    }
  }
  const bool last = kk_end == k;
  const v128_t lo = wasm_f32x4_splat(params.min), hi = wasm_f32x4_splat(params.max);
  for (int64_t r = 0; r < out.rows; ++r) {
    for (int h = 0; h < 2 && last; ++h) {
      if (row_bias) acc[r][h] = wasm_f32x4_add(acc[r][h], wasm_f32x4_splat(row_bias[r]));
      acc[r][h] = wasm_f32x4_min(wasm_f32x4_max(acc[r][h], lo), hi);
    }
    out.Store(r, acc[r][0], acc[r][1]);
  }
}

}  // namespace

void f32_conv_implicit_4x8__wasmsimd(const F32RowQuads& a, const float* source, const InPlacePatches& b, int64_t tile_begin,
                                     int64_t tile_end, float* c, int64_t ldc, const F32GemmParams& params) {
  for (int64_t t = tile_begin; t < tile_end; ++t) {
    const int64_t oy = t / b.TilesPerRow(), ox = (t % b.TilesPerRow()) * 8;
    const int64_t columns = std::min<int64_t>(8, b.width - ox), base = b.TileBase(t);
    for (int64_t kk = 0; kk < a.k; kk += kRowsOfBInCache) {
      const int64_t kk_end = std::min(a.k, kk + kRowsOfBInCache);
      for (int64_t q = 0; q < a.quads(); ++q) {
        const float* quad = a.data.data() + q * a.k * 4;
        const TileOutput out{c + 4 * q * ldc + oy * b.width + ox, ldc, std::min<int64_t>(4, a.m - 4 * q), columns};
        const float* row_bias = params.row_bias ? params.row_bias + 4 * q : nullptr;
        Tile(quad, source, b, a.k, kk, kk_end, base, out, row_bias, params);
      }
    }
  }
}

}  // namespace qplay
