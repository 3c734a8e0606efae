#include "kernels/simd/f32_gemm.h"

#include <algorithm>

#include "core/thread_pool.h"
#include "kernels/simd/simd.h"

namespace qplay {

F32PackedB PackF32B(const float* b, int64_t k, int64_t n, int64_t row_stride, int64_t col_stride) {
  F32PackedB packed;
  packed.k = k;
  packed.n = n;
  packed.data.assign(static_cast<size_t>(packed.panels() * k * kF32GemmNr), 0.0f);
  for (int64_t p = 0; p < packed.panels(); ++p)
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t j = 0; j < kF32GemmNr && p * kF32GemmNr + j < n; ++j)
        packed.data[(p * k + kk) * kF32GemmNr + j] = b[kk * row_stride + (p * kF32GemmNr + j) * col_stride];
  return packed;
}

namespace {

float Finish(float acc, int64_t row, int64_t col, const F32GemmParams& params) {
  if (params.row_bias) acc += params.row_bias[row];
  if (params.col_bias) acc += params.col_bias[col];
  return std::min(std::max(acc, params.min), params.max);
}

// Rows [row, row + kRows) of C against panel p; `columns` of the panel's kF32GemmNr are kept.
template <int kRows>
void Block4x8(int64_t row, int64_t p, int64_t columns, const float* a, int64_t lda, const F32PackedB& b, float* c,
              int64_t ldc, const F32GemmParams& params) {
  v128_t acc[kRows][2];
  for (int r = 0; r < kRows; ++r) acc[r][0] = acc[r][1] = wasm_f32x4_splat(0.0f);
  const float* panel = b.data.data() + p * b.k * kF32GemmNr;
  const float* rows[kRows];
  for (int r = 0; r < kRows; ++r) rows[r] = a + (row + r) * lda;
  for (int64_t kk = 0; kk < b.k; ++kk) {
    const v128_t b0 = wasm_v128_load(panel + kk * kF32GemmNr);
    const v128_t b1 = wasm_v128_load(panel + kk * kF32GemmNr + 4);
    for (int r = 0; r < kRows; ++r) {
      const v128_t av = wasm_f32x4_splat(rows[r][kk]);
      acc[r][0] = wasm_f32x4_add(acc[r][0], wasm_f32x4_mul(av, b0));
      acc[r][1] = wasm_f32x4_add(acc[r][1], wasm_f32x4_mul(av, b1));
    }
  }
  const int64_t col = p * kF32GemmNr;
  const v128_t lo = wasm_f32x4_splat(params.min), hi = wasm_f32x4_splat(params.max);
  v128_t col_bias[2] = {wasm_f32x4_splat(0.0f), wasm_f32x4_splat(0.0f)};
  if (params.col_bias) {
    float padded[kF32GemmNr] = {};
    std::copy(params.col_bias + col, params.col_bias + col + columns, padded);
    col_bias[0] = wasm_v128_load(padded);
    col_bias[1] = wasm_v128_load(padded + 4);
  }
  for (int r = 0; r < kRows; ++r) {
    alignas(16) float out[kF32GemmNr];
    float* dst = c + (row + r) * ldc + col;
    for (int h = 0; h < 2; ++h) {
      v128_t v = acc[r][h];
      if (params.row_bias) v = wasm_f32x4_add(v, wasm_f32x4_splat(params.row_bias[row + r]));
      if (params.col_bias) v = wasm_f32x4_add(v, col_bias[h]);
      v = wasm_f32x4_min(wasm_f32x4_max(v, lo), hi);
      wasm_v128_store(columns == kF32GemmNr ? dst + 4 * h : out + 4 * h, v);
    }
    if (columns < kF32GemmNr) std::copy(out, out + columns, dst);
  }
}

}  // namespace

void f32_gemm__ref(int64_t m, const float* a, int64_t lda, const F32PackedB& b, float* c, int64_t ldc,
                   const F32GemmParams& params) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < b.n; ++j) {
      const float* panel = b.data.data() + (j / kF32GemmNr) * b.k * kF32GemmNr + j % kF32GemmNr;
      float acc = 0.0f;
      for (int64_t kk = 0; kk < b.k; ++kk) acc += a[i * lda + kk] * panel[kk * kF32GemmNr];
      c[i * ldc + j] = Finish(acc, i, j, params);
    }
}

void f32_gemm_4x8__wasmsimd(int64_t m, const float* a, int64_t lda, const F32PackedB& b, float* c, int64_t ldc,
                            const F32GemmParams& params) {
  // Panels of columns are independent: the threads take runs of them.
  ParallelFor(b.panels(), GrainForWork(m * b.k * kF32GemmNr), [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; ++p) {
      const int64_t columns = std::min(kF32GemmNr, b.n - p * kF32GemmNr);
      int64_t row = 0;
      for (; row + kF32GemmMr <= m; row += kF32GemmMr) Block4x8<4>(row, p, columns, a, lda, b, c, ldc, params);
      switch (m - row) {
        case 3: Block4x8<3>(row, p, columns, a, lda, b, c, ldc, params); break;
        case 2: Block4x8<2>(row, p, columns, a, lda, b, c, ldc, params); break;
        case 1: Block4x8<1>(row, p, columns, a, lda, b, c, ldc, params); break;
        default: break;
      }
    }
  });
}

}  // namespace qplay
