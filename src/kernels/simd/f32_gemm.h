// Float GEMM: C[M, N] = A[M, K] x B[K, N], then + bias (per row or per column) and a clamp
// (fused Relu/Clip). B is packed once into panels of kF32GemmNr columns; the micro-kernel
// keeps a kF32GemmMr x kF32GemmNr block of C in registers. f32_gemm__ref is its scalar
// twin with the same summation order, so the two agree bit for bit.
//
//   F32PackedB b = PackF32B(weights, k, n, /*row_stride=*/n, /*col_stride=*/1);
//   f32_gemm_4x8__wasmsimd(m, x, /*lda=*/k, b, y, /*ldc=*/n, {.col_bias = bias});
#pragma once
#include <cstdint>
#include <limits>
#include <vector>

namespace qplay {

constexpr int64_t kF32GemmMr = 4;
constexpr int64_t kF32GemmNr = 8;

struct F32PackedB {
  int64_t k = 0, n = 0;
  // Panel p holds B[kk][p * kF32GemmNr + j] at data[(p * k + kk) * kF32GemmNr + j], zero past n.
  std::vector<float> data;
  int64_t panels() const { return (n + kF32GemmNr - 1) / kF32GemmNr; }
};

// Element (kk, j) of B is b[kk * row_stride + j * col_stride] (a transposed B swaps the strides).
F32PackedB PackF32B(const float* b, int64_t k, int64_t n, int64_t row_stride, int64_t col_stride);

struct F32GemmParams {
  const float* row_bias = nullptr;  // M values, one per row of C
  const float* col_bias = nullptr;  // N values, one per column of C
  float min = -std::numeric_limits<float>::infinity();
  float max = std::numeric_limits<float>::infinity();
};

using F32GemmFn = void (*)(int64_t m, const float* a, int64_t lda, const F32PackedB& b, float* c, int64_t ldc,
                           const F32GemmParams& params);

void f32_gemm__ref(int64_t m, const float* a, int64_t lda, const F32PackedB& b, float* c, int64_t ldc,
                   const F32GemmParams& params);
void f32_gemm_4x8__wasmsimd(int64_t m, const float* a, int64_t lda, const F32PackedB& b, float* c, int64_t ldc,
                            const F32GemmParams& params);

}  // namespace qplay
