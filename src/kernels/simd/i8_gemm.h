// 8-bit GEMM with int32 accumulation and a fused requantizing epilogue, the core of
// QLinearConv, QLinearMatMul and QGemm.
//
// Both operands hold 8-bit values minus their zero point, widened to int16 (so uint8 and
// int8 operands and per-column zero points all run through one kernel, and no zero-point
// correction terms are needed): A is row-major M x K with K padded to even, B is packed once
// in panels of kI8GemmNr columns by pairs of K, the layout i32x4.dot_i16x8_s multiplies.
// The epilogue adds an int32 bias, multiplies by a float scale (per row or column), rounds
// half to even, adds the output zero point and saturates: ONNX Runtime's requantization,
// and bit for bit what i8_gemm__ref and the reference kernels compute.
#pragma once
#include <cstdint>
#include <vector>

#include "core/dtype.h"

namespace qplay {

constexpr int64_t kI8GemmMr = 4;
constexpr int64_t kI8GemmNr = 8;

inline int64_t EvenK(int64_t k) { return (k + 1) & ~int64_t{1}; }

struct I8PackedB {
  int64_t k = 0, n = 0;  // k as given; storage pads it to EvenK(k)
  // Panel p, pair q = kk / 2, column j: data[((p * EvenK(k) / 2 + q) * kI8GemmNr + j) * 2 + kk % 2].
  std::vector<int16_t> data;
  int64_t panels() const { return (n + kI8GemmNr - 1) / kI8GemmNr; }
};

// Packs B where element (kk, j) is value(kk, j) (already offset by its zero point).
template <typename ValueFn>
I8PackedB PackI8B(int64_t k, int64_t n, ValueFn value) {
  I8PackedB packed{k, n, {}};
  const int64_t pairs = EvenK(k) / 2;
  packed.data.assign(static_cast<size_t>(packed.panels() * pairs * kI8GemmNr * 2), 0);
  for (int64_t p = 0; p < packed.panels(); ++p)
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t j = 0; j < kI8GemmNr && p * kI8GemmNr + j < n; ++j)
        packed.data[((p * pairs + kk / 2) * kI8GemmNr + j) * 2 + kk % 2] = static_cast<int16_t>(value(kk, p * kI8GemmNr + j));
  return packed;
}

struct I8GemmOutput {
  DataType type = DataType::kUint8;  // uint8 or int8 (requantized), float (scaled only) or int32 (as accumulated)
  void* data = nullptr;
  int64_t ldc = 0;
  const int32_t* row_bias = nullptr;  // added to the accumulator, per row or per column
  const int32_t* col_bias = nullptr;
  const float* scale = nullptr;       // multiplier per row (scale_per_row) or per column; unused for int32
  bool scale_per_row = false;
  int32_t zero_point = 0;
};

// One requantized value as the epilogue computes it: acc x scale clamped to the type's range
// (minus the zero point), rounded half to even, plus the zero point.
int32_t Requantize(int32_t acc, float scale, int32_t zero_point, DataType type);

using I8GemmFn = void (*)(int64_t m, const int16_t* a, int64_t lda, const I8PackedB& b, const I8GemmOutput& out);

void i8_gemm__ref(int64_t m, const int16_t* a, int64_t lda, const I8PackedB& b, const I8GemmOutput& out);
void i8_gemm_4x8__wasmsimd_dot16(int64_t m, const int16_t* a, int64_t lda, const I8PackedB& b, const I8GemmOutput& out);

}  // namespace qplay
