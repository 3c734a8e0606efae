#include "kernels/simd/i8_gemm.h"

#include <algorithm>
#include <cmath>

#include "core/thread_pool.h"
#include "kernels/simd/requantize.h"

namespace qplay {
namespace {

struct OutputRange {
  float lo, hi;  // the integer range minus the zero point, as floats
};

OutputRange RangeOf(DataType type, int32_t zero_point) {
  const int32_t qmin = type == DataType::kInt8 ? -128 : 0, qmax = type == DataType::kInt8 ? 127 : 255;
  return {static_cast<float>(qmin - zero_point), static_cast<float>(qmax - zero_point)};
}

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

// Four values from `col` on, zero past `columns` of them.
v128_t LoadColumns(const float* values, int64_t col, int64_t columns) {
  if (columns >= 4) return wasm_v128_load(values + col);
  float padded[4] = {};
  std::copy(values + col, values + col + std::max<int64_t>(0, std::min<int64_t>(4, columns)), padded);
  return wasm_v128_load(padded);
}

v128_t LoadColumns(const int32_t* values, int64_t col, int64_t columns) {
  if (columns >= 4) return wasm_v128_load(values + col);
  int32_t padded[4] = {};
  std::copy(values + col, values + col + std::max<int64_t>(0, std::min<int64_t>(4, columns)), padded);
  return wasm_v128_load(padded);
}

// Stores one row's kI8GemmNr results (two vectors of float, or of int32 already in the
// output type's range) at element `at` of the output, `columns` of them.
void StoreRow(const I8GemmOutput& out, int64_t at, const v128_t lanes[2], int64_t columns) {
  if (out.type == DataType::kFloat || out.type == DataType::kInt32) {  // four-byte lanes, stored as they are
    uint32_t* dst = static_cast<uint32_t*>(out.data) + at;
    if (columns == kI8GemmNr) {
      wasm_v128_store(dst, lanes[0]);
      wasm_v128_store(dst + 4, lanes[1]);
      return;
    }
    alignas(16) uint32_t values[kI8GemmNr];
    wasm_v128_store(values, lanes[0]);
    wasm_v128_store(values + 4, lanes[1]);
    std::copy(values, values + columns, dst);
    return;
  }
  const v128_t words = wasm_i16x8_narrow_i32x4(lanes[0], lanes[1]);
  const v128_t bytes = out.type == DataType::kInt8 ? wasm_i8x16_narrow_i16x8(words, words) : wasm_u8x16_narrow_i16x8(words, words);
  uint8_t* dst = static_cast<uint8_t*>(out.data) + at;
  if (columns == kI8GemmNr) {
    wasm_v128_store64_lane(dst, bytes, 0);
    return;
  }
  alignas(16) uint8_t values[16];
  wasm_v128_store(values, bytes);
  std::copy(values, values + columns, dst);
}

// What every row block of one panel shares: the panel's columns, their biases and scales.
struct PanelColumns {
  int64_t p, col, columns;
  v128_t bias[2], scale[2];
};

PanelColumns ColumnsOf(int64_t p, const I8PackedB& b, const I8GemmOutput& out) {
  PanelColumns c{p, p * kI8GemmNr, std::min(kI8GemmNr, b.n - p * kI8GemmNr), {}, {}};
  for (int h = 0; h < 2; ++h) {
    c.bias[h] = out.col_bias ? LoadColumns(out.col_bias, c.col + 4 * h, c.columns - 4 * h) : wasm_i32x4_splat(0);
    if (out.scale && !out.scale_per_row) c.scale[h] = LoadColumns(out.scale, c.col + 4 * h, c.columns - 4 * h);
  }
  return c;
}

template <int kRows>
void Block4x8(int64_t row, const PanelColumns& panel_columns, const int16_t* a, int64_t lda, const I8PackedB& b, const I8GemmOutput& out,
              const RoundingLanes& rounding) {
  const int64_t pairs = EvenK(b.k) / 2;
  const int64_t p = panel_columns.p, col = panel_columns.col, columns = panel_columns.columns;
  const v128_t* col_scale = panel_columns.scale;
  v128_t acc[kRows][2];  // starting from the biases
  for (int r = 0; r < kRows; ++r)
    for (int h = 0; h < 2; ++h)
      acc[r][h] = out.row_bias ? wasm_i32x4_add(panel_columns.bias[h], wasm_i32x4_splat(out.row_bias[row + r])) : panel_columns.bias[h];
  const int16_t* panel = b.data.data() + p * pairs * kI8GemmNr * 2;
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

  for (int r = 0; r < kRows; ++r) {
    const int64_t i = row + r;
    v128_t lanes[2];
    for (int h = 0; h < 2; ++h) {
      const v128_t v = acc[r][h];
      if (out.type == DataType::kInt32) {
        lanes[h] = v;
        continue;
      }
      const v128_t scale = out.scale_per_row ? wasm_f32x4_splat(out.scale[i]) : col_scale[h];
      lanes[h] = out.type == DataType::kFloat ? wasm_f32x4_mul(wasm_f32x4_convert_i32x4(v), scale)
                                              : RequantizeLanes(v, scale, rounding);
    }
    StoreRow(out, i * out.ldc + col, lanes, columns);
  }
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
  const OutputRange range = RangeOf(out.type, out.zero_point);
  const RoundingLanes rounding(range.lo, range.hi, out.zero_point);
  // Panels of columns are independent: the threads take runs of them.
  ParallelFor(b.panels(), GrainForWork(m * EvenK(b.k) * kI8GemmNr), [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; ++p) {
      const PanelColumns columns = ColumnsOf(p, b, out);
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
