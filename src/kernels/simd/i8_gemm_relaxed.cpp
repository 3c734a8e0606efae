#include "kernels/simd/i8_gemm_relaxed.h"

#include "core/thread_pool.h"
#include "kernels/simd/i8_gemm_epilogue.h"

namespace qplay {
namespace {

const v128_t kFlip = wasm_i8x16_splat(static_cast<int8_t>(0x80));

// The four int32 sums of 4 adjacent bytes each, read signed or unsigned.
v128_t QuadSums(v128_t bytes, bool signed_reading) {
  const v128_t pairs = signed_reading ? wasm_i16x8_extadd_pairwise_i8x16(bytes) : wasm_u16x8_extadd_pairwise_u8x16(bytes);
  return wasm_i32x4_extadd_pairwise_i16x8(pairs);
}

template <int kRows>
void Block4x8(int64_t row, const PanelColumns& panel_columns, const I8x4RowsView& a, const I8x4PackedB& b, const I8GemmOutput& out,
              const RoundingLanes& rounding) {
  const int64_t quads = QuadK(b.k) / 4;
  v128_t acc[kRows][2];
  for (int r = 0; r < kRows; ++r) acc[r][0] = acc[r][1] = wasm_i32x4_splat(0);
  const int8_t* panel = b.data.data() + panel_columns.p * quads * kI8GemmNr * 4;
  const int8_t* rows[kRows];
  for (int r = 0; r < kRows; ++r) rows[r] = a.data + (row + r) * a.lda;
  for (int64_t q = 0; q < quads; ++q) {
    const v128_t b0 = wasm_v128_load(panel + q * 32);
    const v128_t b1 = wasm_v128_load(panel + q * 32 + 16);
    for (int r = 0; r < kRows; ++r) {
      const v128_t av = wasm_v128_load32_splat(rows[r] + 4 * q);
      acc[r][0] = RelaxedDotAdd(av, b0, acc[r][0]);
      acc[r][1] = RelaxedDotAdd(av, b1, acc[r][1]);
    }
  }
  // The zero points' corrections: acc - zb (sum a - K za) - za sum b, then the biases.
  v128_t zb[2], sums[2];
  for (int h = 0; h < 2; ++h) {
    zb[h] = wasm_v128_load(b.zero_points.data() + panel_columns.col + 4 * h);
    sums[h] = wasm_v128_load(b.sums.data() + panel_columns.col + 4 * h);
  }
  for (int r = 0; r < kRows; ++r) {
    const int64_t i = row + r;
    v128_t bias[2];
    StartFromBiases(panel_columns, out, i, bias);
    const v128_t sum_term = wasm_i32x4_splat(a.sum_terms[i]), za = wasm_i32x4_splat(a.zero_points[i]);
    for (int h = 0; h < 2; ++h)
      acc[r][h] = wasm_i32x4_add(wasm_i32x4_sub(wasm_i32x4_sub(acc[r][h], wasm_i32x4_mul(zb[h], sum_term)), wasm_i32x4_mul(za, sums[h])),
                                 bias[h]);
    StoreAccumulators(out, panel_columns, i, acc[r], rounding);
  }
}

}  // namespace

template <typename T>
void ToI8x4Rows(const T* a, int64_t rows, int64_t k, const int32_t* zero_points, int64_t zero_point_step, I8x4Rows& out) {
  const ByteReading<T> reading(true);
  out.rows = rows;
  out.k = k;
  out.lda = QuadK(k);
  out.data.resize(static_cast<size_t>(rows * out.lda));
  out.zero_points.resize(static_cast<size_t>(rows));
  out.sum_terms.resize(static_cast<size_t>(rows));
  const v128_t flip = reading.flip ? kFlip : wasm_i32x4_splat(0);
  ParallelFor(rows, GrainForWork(out.lda), [&](int64_t first, int64_t last) {
    for (int64_t i = first; i < last; ++i) {
      const T* src = a + i * k;
      int8_t* dst = out.data.data() + i * out.lda;
      v128_t sums = wasm_i32x4_splat(0);
      int64_t kk = 0;
      for (; kk + 16 <= k; kk += 16) {
        const v128_t bytes = wasm_v128_xor(wasm_v128_load(src + kk), flip);
        wasm_v128_store(dst + kk, bytes);
        sums = wasm_i32x4_add(sums, QuadSums(bytes, true));
      }
      int32_t sum = wasm_i32x4_extract_lane(sums, 0) + wasm_i32x4_extract_lane(sums, 1) + wasm_i32x4_extract_lane(sums, 2) +
                    wasm_i32x4_extract_lane(sums, 3);
      for (; kk < out.lda; ++kk) {
        dst[kk] = kk < k ? reading.Store(src[kk]) : 0;
        sum += dst[kk];
      }
      const int32_t zero_point = zero_points[i * zero_point_step] + reading.shift;
      out.zero_points[i] = zero_point;
      out.sum_terms[i] = static_cast<int32_t>(sum - k * static_cast<int64_t>(zero_point));
    }
  });
}

template <typename T>
void PackI8x4InPlace(const T* source, const InPlacePatches& patches, int64_t k, int64_t n, int32_t zero_point, RelaxedDotMode mode,
                     I8x4PackedB& b) {
  const bool signed_reading = mode == RelaxedDotMode::kSigned;
  const ByteReading<T> reading(signed_reading);
  b.k = k;
  b.n = n;
  b.mode = mode;
  const int64_t quads = QuadK(k) / 4;
  b.data.resize(static_cast<size_t>(b.panels() * quads * kI8GemmNr * 4));
  b.zero_points.assign(static_cast<size_t>(b.panels() * kI8GemmNr), 0);
  std::fill_n(b.zero_points.begin(), n, zero_point + reading.shift);
  b.sums.assign(b.zero_points.size(), 0);
  const v128_t flip = reading.flip ? kFlip : wasm_i32x4_splat(0);
  const T blank = static_cast<T>(reading.flip ? 0x80 : 0);  // a column past n: stored as 0
  ParallelFor(b.panels(), GrainForWork(quads * kI8GemmNr * 4), [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; ++p) {  // four rows' 8 samples, interleaved into 8 columns of 4
      const int64_t column = p * kI8GemmNr, base = patches.At(column);
      // A panel within one output row reads 8 adjacent samples per row of B; else they are
      // gathered from where each column's are (-1: past n).
      const bool adjacent = column % patches.width + kI8GemmNr <= patches.width && column + kI8GemmNr <= n;
      int64_t at[kI8GemmNr];
      for (int64_t j = 0; j < kI8GemmNr && !adjacent; ++j) at[j] = column + j < n ? patches.At(column + j) : -1;
      T gathered[4][kI8GemmNr];
      v128_t sums[2] = {wasm_i32x4_splat(0), wasm_i32x4_splat(0)};
      for (int64_t q = 0; q < quads; ++q) {
        v128_t row[4];
        for (int r = 0; r < 4; ++r) {
          const int64_t kk = 4 * q + r;
          if (kk >= k) {
            row[r] = flip;  // which the flip below turns into zeros
          } else if (adjacent) {
            row[r] = wasm_v128_load64_zero(source + patches.offsets[kk] + base);
          } else {
            const T* row_source = source + patches.offsets[kk];
            for (int64_t j = 0; j < kI8GemmNr; ++j) gathered[r][j] = at[j] >= 0 ? row_source[at[j]] : blank;
            row[r] = wasm_v128_load64_zero(gathered[r]);
          }
        }
        const v128_t r01 = wasm_i8x16_shuffle(row[0], row[1], 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        const v128_t r23 = wasm_i8x16_shuffle(row[2], row[3], 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        const v128_t columns[2] = {wasm_v128_xor(wasm_i16x8_shuffle(r01, r23, 0, 8, 1, 9, 2, 10, 3, 11), flip),
                                   wasm_v128_xor(wasm_i16x8_shuffle(r01, r23, 4, 12, 5, 13, 6, 14, 7, 15), flip)};
        int8_t* dst = b.data.data() + (p * quads + q) * kI8GemmNr * 4;
        for (int h = 0; h < 2; ++h) {
          wasm_v128_store(dst + 16 * h, columns[h]);
          sums[h] = wasm_i32x4_add(sums[h], QuadSums(columns[h], signed_reading));
        }
      }
      wasm_v128_store(b.sums.data() + column, sums[0]);
      wasm_v128_store(b.sums.data() + column + 4, sums[1]);
    }
  });
}

template <typename T>
void PackI8x4Rows(const T* rows, int64_t k, int64_t n, int32_t zero_point, RelaxedDotMode mode, I8x4PackedB& b) {
  PackI8x4InPlace(rows, InPlacePatches::Rows(k, n), k, n, zero_point, mode, b);
}

template void ToI8x4Rows(const uint8_t*, int64_t, int64_t, const int32_t*, int64_t, I8x4Rows&);
template void ToI8x4Rows(const int8_t*, int64_t, int64_t, const int32_t*, int64_t, I8x4Rows&);
template void PackI8x4Rows(const uint8_t*, int64_t, int64_t, int32_t, RelaxedDotMode, I8x4PackedB&);
template void PackI8x4Rows(const int8_t*, int64_t, int64_t, int32_t, RelaxedDotMode, I8x4PackedB&);
template void PackI8x4InPlace(const uint8_t*, const InPlacePatches&, int64_t, int64_t, int32_t, RelaxedDotMode, I8x4PackedB&);
template void PackI8x4InPlace(const int8_t*, const InPlacePatches&, int64_t, int64_t, int32_t, RelaxedDotMode, I8x4PackedB&);

void i8_gemm_4x8__wasmrelaxed(int64_t m, const I8x4RowsView& a, const I8x4PackedB& b, const I8GemmOutput& out) {
  const RoundingLanes rounding = RoundingOf(out);
  ParallelFor(b.panels(), GrainForWork(m * QuadK(b.k) * kI8GemmNr / 2), [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; ++p) {
      const PanelColumns columns = ColumnsOf(p, b.n, out);
      int64_t row = 0;
      for (; row + kI8GemmMr <= m; row += kI8GemmMr) Block4x8<4>(row, columns, a, b, out, rounding);
      switch (m - row) {
        case 3: Block4x8<3>(row, columns, a, b, out, rounding); break;
        case 2: Block4x8<2>(row, columns, a, b, out, rounding); break;
        case 1: Block4x8<1>(row, columns, a, b, out, rounding); break;
        default: break;
      }
    }
  });
}

namespace {
std::optional<RelaxedDotMode> relaxed_dot_override;
}  // namespace

RelaxedDotMode RelaxedDot() {
  if (relaxed_dot_override) return *relaxed_dot_override;
#if defined(__wasm_relaxed_simd__)
  static const RelaxedDotMode mode = ProbeRelaxedDot(RelaxedDotAdd);
  return mode;
#else
  return RelaxedDotMode::kNone;
#endif
}

void OverrideRelaxedDotForTesting(std::optional<RelaxedDotMode> mode) { relaxed_dot_override = mode; }

const char* RelaxedDotModeName(RelaxedDotMode mode) {
  switch (mode) {
    case RelaxedDotMode::kUnsigned: return "unsigned";
    case RelaxedDotMode::kSigned: return "signed";
    case RelaxedDotMode::kNone: break;
  }
  return "none";
}

}  // namespace qplay
