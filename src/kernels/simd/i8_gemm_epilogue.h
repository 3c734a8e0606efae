// The epilogue both 8-bit GEMM kernels share: a row's eight int32 accumulators (bias included)
// scaled, requantized or kept, narrowed and stored, bit for bit `StoreOne` in i8_gemm.cpp.
#pragma once
#include <algorithm>
#include <cstdint>

#include "kernels/simd/i8_gemm.h"
#include "kernels/simd/requantize.h"
#include "kernels/simd/simd.h"

namespace qplay {

struct OutputRange {
  float lo, hi;  // the integer range minus the zero point, as floats
};

inline OutputRange RangeOf(DataType type, int32_t zero_point) {
  const int32_t qmin = type == DataType::kInt8 ? -128 : 0, qmax = type == DataType::kInt8 ? 127 : 255;
  return {static_cast<float>(qmin - zero_point), static_cast<float>(qmax - zero_point)};
}

inline RoundingLanes RoundingOf(const I8GemmOutput& out) {
  const OutputRange range = RangeOf(out.type, out.zero_point);
  return RoundingLanes(range.lo, range.hi, out.zero_point);
}

// Four values from `col` on, zero past `columns` of them.
template <typename T>
v128_t LoadColumns(const T* values, int64_t col, int64_t columns) {
  static_assert(sizeof(T) == 4);
  if (columns >= 4) return wasm_v128_load(values + col);
  T padded[4] = {};
  std::copy(values + col, values + col + std::max<int64_t>(0, std::min<int64_t>(4, columns)), padded);
  return wasm_v128_load(padded);
}

// What every row block of one panel of kI8GemmNr columns shares: its columns, their biases
// and scales.
struct PanelColumns {
  int64_t p, col, columns;
  v128_t bias[2], scale[2];
};

inline PanelColumns ColumnsOf(int64_t p, int64_t n, const I8GemmOutput& out) {
  PanelColumns c{p, p * kI8GemmNr, std::min(kI8GemmNr, n - p * kI8GemmNr), {}, {}};
  for (int h = 0; h < 2; ++h) {
    c.bias[h] = out.col_bias ? LoadColumns(out.col_bias, c.col + 4 * h, c.columns - 4 * h) : wasm_i32x4_splat(0);
    if (out.scale && !out.scale_per_row) c.scale[h] = LoadColumns(out.scale, c.col + 4 * h, c.columns - 4 * h);
  }
  return c;
}

// The accumulators' starting value for row i: the column biases plus the row's.
inline void StartFromBiases(const PanelColumns& panel, const I8GemmOutput& out, int64_t i, v128_t acc[2]) {
  for (int h = 0; h < 2; ++h)
    acc[h] = out.row_bias ? wasm_i32x4_add(panel.bias[h], wasm_i32x4_splat(out.row_bias[i])) : panel.bias[h];
}

// Stores row i's accumulators for the panel's columns in the output's type.
inline void StoreAccumulators(const I8GemmOutput& out, const PanelColumns& panel, int64_t i, const v128_t acc[2],
                              const RoundingLanes& rounding) {
  v128_t lanes[2];
  for (int h = 0; h < 2; ++h) {
    if (out.type == DataType::kInt32) {
      lanes[h] = acc[h];
      continue;
    }
    const v128_t scale = out.scale_per_row ? wasm_f32x4_splat(out.scale[i]) : panel.scale[h];
    lanes[h] = out.type == DataType::kFloat ? wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc[h]), scale)
                                            : RequantizeLanes(acc[h], scale, rounding);
  }
  const int64_t at = i * out.ldc + panel.col;
  if (out.type == DataType::kFloat || out.type == DataType::kInt32) {  // four-byte lanes, stored as they are
    uint32_t* dst = static_cast<uint32_t*>(out.data) + at;
    if (panel.columns == kI8GemmNr) {
      wasm_v128_store(dst, lanes[0]);
      wasm_v128_store(dst + 4, lanes[1]);
      return;
    }
    alignas(16) uint32_t values[kI8GemmNr];
    wasm_v128_store(values, lanes[0]);
    wasm_v128_store(values + 4, lanes[1]);
    std::copy(values, values + panel.columns, dst);
    return;
  }
  const v128_t words = wasm_i16x8_narrow_i32x4(lanes[0], lanes[1]);
  const v128_t bytes = out.type == DataType::kInt8 ? wasm_i8x16_narrow_i16x8(words, words) : wasm_u8x16_narrow_i16x8(words, words);
  uint8_t* dst = static_cast<uint8_t*>(out.data) + at;
  if (panel.columns == kI8GemmNr) {
    wasm_v128_store64_lane(dst, bytes, 0);
    return;
  }
  alignas(16) uint8_t values[16];
  wasm_v128_store(values, bytes);
  std::copy(values, values + panel.columns, dst);
}

}  // namespace qplay
