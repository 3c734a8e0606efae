// The 8-bit GEMM on relaxed SIMD's 8-bit dot product (relaxed_dot.h): 16 multiply-adds per
// instruction on the bytes as stored, where i8_gemm_4x8__wasmsimd_dot16 does 8 on operands
// widened to int16 minus their zero points. A byte minus a zero point needs 9 bits, so here the
// zero points are not subtracted first: the kernel sums raw products and corrects them with
// per-row and per-column sums,
//   sum (a - za)(b - zb) = sum a.b - zb (sum a - K za) - za sum b,
// exact in int32, so the results are bit for bit i8_gemm__ref's. A's bytes are read signed
// (uint8 values are stored as value - 128, their zero point moved with them); B's as the engine
// reads the second operand (RelaxedDotMode), uint8 or int8 flipped to match in the same way.
#pragma once
#include <cstdint>
#include <type_traits>
#include <vector>

#include "kernels/simd/i8_gemm.h"
#include "kernels/simd/in_place_patches.h"
#include "kernels/simd/relaxed_dot.h"

namespace qplay {

inline int64_t QuadK(int64_t k) { return (k + 3) & ~int64_t{3}; }

// A: rows of signed bytes, K padded with zeros to a multiple of 4.
struct I8x4Rows {
  int64_t rows = 0, k = 0, lda = 0;
  std::vector<int8_t> data;
  std::vector<int32_t> zero_points;  // per row, in the stored bytes' reading
  std::vector<int32_t> sum_terms;    // per row: sum of its bytes - K x its zero point
};

// Rows [first, ...) of an I8x4Rows, as the kernel reads them.
struct I8x4RowsView {
  const int8_t* data;
  int64_t lda;
  const int32_t* zero_points;
  const int32_t* sum_terms;
};

inline I8x4RowsView ViewFrom(const I8x4Rows& a, int64_t first_row) {
  return {a.data.data() + first_row * a.lda, a.lda, a.zero_points.data() + first_row, a.sum_terms.data() + first_row};
}

// B in panels of kI8GemmNr columns by quads of K: panel p, quad q = kk / 4, column j:
// data[((p * QuadK(k) / 4 + q) * kI8GemmNr + j) * 4 + kk % 4]; rows past k and columns past n are 0.
struct I8x4PackedB {
  int64_t k = 0, n = 0;
  RelaxedDotMode mode = RelaxedDot();  // the reading its bytes are stored for
  std::vector<int8_t> data;
  std::vector<int32_t> zero_points, sums;  // per column (panels() * kI8GemmNr), in the bytes' reading
  int64_t panels() const { return (n + kI8GemmNr - 1) / kI8GemmNr; }
};

// How a T byte is stored to be read the way `signed_reading` says: flipped (x ^ 0x80) when the
// two disagree, which moves its value (and its zero point) by `shift`.
template <typename T>
struct ByteReading {
  static constexpr bool kSource = std::is_signed_v<T>;
  explicit ByteReading(bool signed_reading)
      : signed_reading(signed_reading), flip(kSource != signed_reading), shift(!flip ? 0 : kSource ? 128 : -128) {}
  int8_t Store(T value) const { return static_cast<int8_t>(static_cast<uint8_t>(value) ^ (flip ? 0x80 : 0)); }
  int32_t Read(int8_t stored) const { return signed_reading ? stored : static_cast<uint8_t>(stored); }
  bool signed_reading, flip;
  int32_t shift;
};

// A from `rows` rows of `k` 8-bit values (row i at a + i * k); row i's zero point is
// zero_points[i * zero_point_step] (a step of 0: one for all). Reuses `out`'s storage.
template <typename T>
void ToI8x4Rows(const T* a, int64_t rows, int64_t k, const int32_t* zero_points, int64_t zero_point_step, I8x4Rows& out);

// B from `k` rows of `n` 8-bit values (row kk at rows + kk * n), one zero point. Reuses `b`'s storage.
template <typename T>
void PackI8x4Rows(const T* rows, int64_t k, int64_t n, int32_t zero_point, RelaxedDotMode mode, I8x4PackedB& b);

// The same from `k` rows of B read in place (a convolution's patches in its input's phase
// planes): element (kk, j) at source[patches.offsets[kk] + patches.At(j)].
template <typename T>
void PackI8x4InPlace(const T* source, const InPlacePatches& patches, int64_t k, int64_t n, int32_t zero_point, RelaxedDotMode mode,
                     I8x4PackedB& b);

// B where element (kk, j) is value(kk, j) (a T) and column j's zero point zero_point(j).
template <typename T, typename ValueFn, typename ZeroPointFn>
I8x4PackedB PackI8x4B(int64_t k, int64_t n, RelaxedDotMode mode, ValueFn value, ZeroPointFn zero_point) {
  I8x4PackedB b;
  b.k = k;
  b.n = n;
  b.mode = mode;
  const ByteReading<T> reading(mode == RelaxedDotMode::kSigned);
  const int64_t quads = QuadK(k) / 4;
  b.data.assign(static_cast<size_t>(b.panels() * quads * kI8GemmNr * 4), 0);
  b.zero_points.assign(static_cast<size_t>(b.panels() * kI8GemmNr), 0);
  b.sums.assign(b.zero_points.size(), 0);
  for (int64_t j = 0; j < n; ++j) {
    const int64_t p = j / kI8GemmNr, column = j % kI8GemmNr;
    b.zero_points[j] = zero_point(j) + reading.shift;
    for (int64_t kk = 0; kk < k; ++kk) {
      const int8_t stored = reading.Store(static_cast<T>(value(kk, j)));
      b.data[((p * quads + kk / 4) * kI8GemmNr + column) * 4 + kk % 4] = stored;
      b.sums[j] += reading.Read(stored);
    }
  }
  return b;
}

// The GEMM: m rows of A (from `a`) times B, stored as `out` says (i8_gemm.h). b.mode must be
// RelaxedDot()'s, or in tests the reading RelaxedDotAdd has in that build.
void i8_gemm_4x8__wasmrelaxed(int64_t m, const I8x4RowsView& a, const I8x4PackedB& b, const I8GemmOutput& out);

}  // namespace qplay
