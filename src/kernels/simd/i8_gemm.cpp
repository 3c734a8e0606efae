#include "kernels/simd/i8_gemm.h"

#include <algorithm>
#include <cmath>

#include "core/thread_pool.h"
#include "kernels/simd/i8_gemm_epilogue.h"

namespace qplay {
namespace {

int16_t PackedAt(const I8PackedB& b, int64_t kk, int64_t j) {
  const int64_t pairs = EvenK(b.k) / 2;
  return b.data[(((j / kI8GemmNr) * pairs + kk / 2) * kI8GemmNr + j % kI8GemmNr) * 2 + kk % 2];
}

void StoreOne(const I8GemmOutput& out, int64_t i, int64_t j, int32_t acc) {
  if (out.type == DataType::kInt32) {
    static_cast<int32_t*>(out.data)[i * out.ldc + j] = acc;
    return;
  }
  const float scale = out.scale[out.scale_per_row ? i : j];
  if (out.type == DataType::kFloat) {
    static_cast<float*>(out.data)[i * out.ldc + j] = static_cast<float>(acc) * scale;
    return;
  }
  const int32_t q = Requantize(acc, scale, out.zero_point, out.type);
  if (out.type == DataType::kInt8) static_cast<int8_t*>(out.data)[i * out.ldc + j] = static_cast<int8_t>(q);
  else static_cast<uint8_t*>(out.data)[i * out.ldc + j] = static_cast<uint8_t>(q);
}

template <int kRows>
void Block4x8(int64_t row, const PanelColumns& panel_columns, const int16_t* a, int64_t lda, const I8PackedB& b, const I8GemmOutput& out,
              const RoundingLanes& rounding) {
  const int64_t pairs = EvenK(b.k) / 2;
  v128_t acc[kRows][2];
  for (int r = 0; r < kRows; ++r) StartFromBiases(panel_columns, out, row + r, acc[r]);
  const int16_t* panel = b.data.data() + panel_columns.p * pairs * kI8GemmNr * 2;
  const int16_t* rows[kRows];
  for (int r = 0; r < kRows; ++r) rows[r] = a + (row + r) * lda;
  for (int64_t q = 0; q < pairs; ++q) {
    const v128_t b0 = wasm_v128_load(panel + q * 16);
    const v128_t b1 = wasm_v128_load(panel + q * 16 + 8);
    for (int r = 0; r < kRows; ++r) {
      const v128_t av = wasm_v128_load32_splat(rows[r] + 2 * q);
      acc[r][0] = wasm_i32x4_add(acc[r][0], wasm_i32x4_dot_i16x8(av, b0));
      acc[r][1] = wasm_i32x4_add(acc[r][1], wasm_i32x4_dot_i16x8(av, b1));
    }
  }
  for (int r = 0; r < kRows; ++r) StoreAccumulators(out, panel_columns, row + r, acc[r], rounding);
}

}  // namespace

int32_t Requantize(int32_t acc, float scale, int32_t zero_point, DataType type) {
  const OutputRange r = RangeOf(type, zero_point);
  const float scaled = static_cast<float>(acc) * scale;
  return static_cast<int32_t>(std::nearbyint(std::min(std::max(scaled, r.lo), r.hi))) + zero_point;
}

void i8_gemm__ref(int64_t m, const int16_t* a, int64_t lda, const I8PackedB& b, const I8GemmOutput& out) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < b.n; ++j) {
      int32_t acc = 0;
      for (int64_t kk = 0; kk < b.k; ++kk) acc += static_cast<int32_t>(a[i * lda + kk]) * PackedAt(b, kk, j);
      if (out.row_bias) acc += out.row_bias[i];
      if (out.col_bias) acc += out.col_bias[j];
      StoreOne(out, i, j, acc);
    }
}

void i8_gemm_4x8__wasmsimd_dot16(int64_t m, const int16_t* a, int64_t lda, const I8PackedB& b, const I8GemmOutput& out) {
  const RoundingLanes rounding = RoundingOf(out);
  // Panels of columns are independent: the threads take runs of them.
  ParallelFor(b.panels(), GrainForWork(m * EvenK(b.k) * kI8GemmNr), [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; ++p) {
      const PanelColumns columns = ColumnsOf(p, b.n, out);
      int64_t row = 0;
      for (; row + kI8GemmMr <= m; row += kI8GemmMr) Block4x8<4>(row, columns, a, lda, b, out, rounding);
      switch (m - row) {
        case 3: Block4x8<3>(row, columns, a, lda, b, out, rounding); break;
        case 2: Block4x8<2>(row, columns, a, lda, b, out, rounding); break;
        case 1: Block4x8<1>(row, columns, a, lda, b, out, rounding); break;
        default: break;
      }
    }
  });
}

}  // namespace qplay
