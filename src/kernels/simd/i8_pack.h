// Getting 8-bit operands into the 8-bit GEMM's layouts with vector code: A's rows widened
// to int16 minus their zero point, and B's rows widened and interleaved into packed panels.
#pragma once
#include <cstdint>
#include <type_traits>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/simd/i8_gemm.h"
#include "kernels/simd/simd.h"

namespace qplay {

// 8 values at `src`, widened to int16 minus the zero point.
template <typename T>
v128_t WidenEight(const T* src, v128_t zero_point) {
  return wasm_i16x8_sub(std::is_signed_v<T> ? wasm_i16x8_load8x8(src) : wasm_u16x8_load8x8(src), zero_point);
}

// dst[0, count) = src[0, count) for short runs (im2col copies rows of a few dozen bytes, where
// a call to memcpy costs more than the copy): vectors, the last one overlapping the one
// before it so that nothing outside the run is read or written.
template <typename T>
void CopyRun(T* dst, const T* src, int64_t count) {
  static_assert(sizeof(T) == 1);
  if (count >= 16) {
    for (int64_t i = 0; i + 16 < count; i += 16) wasm_v128_store(dst + i, wasm_v128_load(src + i));
    wasm_v128_store(dst + count - 16, wasm_v128_load(src + count - 16));
  } else if (count >= 8) {
    wasm_v128_store64_lane(dst, wasm_v128_load64_zero(src), 0);
    wasm_v128_store64_lane(dst + count - 8, wasm_v128_load64_zero(src + count - 8), 0);
  } else {
    for (int64_t i = 0; i < count; ++i) dst[i] = src[i];
  }
}

// dst[0, count) = src[0, count) widened to int16 minus the zero point; like CopyRun, the
// last vector overlaps the one before it.
template <typename T>
void WidenRun(const T* src, int64_t count, int32_t zero_point, int16_t* dst) {
  const v128_t zp = wasm_i16x8_splat(static_cast<int16_t>(zero_point));
  if (count < 8) {
    for (int64_t i = 0; i < count; ++i) dst[i] = static_cast<int16_t>(src[i] - zero_point);
    return;
  }
  for (int64_t i = 0; i + 8 < count; i += 8) wasm_v128_store(dst + i, WidenEight(src + i, zp));
  wasm_v128_store(dst + count - 8, WidenEight(src + count - 8, zp));
}

// A: `rows` rows of `k` 8-bit values into int16 rows of EvenK(k) (the padding column is 0).
template <typename T>
void WidenI8Rows(const T* a, int64_t rows, int64_t k, int32_t zero_point, int16_t* out) {
  const int64_t lda = EvenK(k);
  const v128_t zp = wasm_i16x8_splat(static_cast<int16_t>(zero_point));
  for (int64_t i = 0; i < rows; ++i) {
    const T* src = a + i * k;
    int16_t* dst = out + i * lda;
    int64_t kk = 0;
    for (; kk + 8 <= k; kk += 8) wasm_v128_store(dst + kk, WidenEight(src + kk, zp));
    for (; kk < k; ++kk) dst[kk] = static_cast<int16_t>(src[kk] - zero_point);
    if (lda > k) dst[k] = 0;
  }
}

// B's rows as 8-bit values (row kk: `n` samples at rows + kk * n), widened minus the zero
// point and interleaved by pairs of rows into the GEMM's panels; rows past k and columns past n
// are 0. Reuses `b`'s storage (the same size call after call: nothing is cleared).
template <typename T>
void PackI8Rows(const T* rows, int64_t k, int64_t n, int32_t zero_point, I8PackedB& b) {
  b.k = k;
  b.n = n;
  const int64_t pairs = EvenK(k) / 2, full_panels = n / kI8GemmNr;
  b.data.resize(static_cast<size_t>(b.panels() * pairs * kI8GemmNr * 2));
  const v128_t zp = wasm_i16x8_splat(static_cast<int16_t>(zero_point));
  ParallelFor(full_panels, GrainForWork(pairs * kI8GemmNr * 2), [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; ++p)  // two rows' 8 samples, widened and interleaved
      for (int64_t q = 0; q < pairs; ++q) {
        auto load = [&](int64_t kk) { return kk < k ? WidenEight(rows + kk * n + p * kI8GemmNr, zp) : wasm_i16x8_splat(0); };
        const v128_t even = load(2 * q), odd = load(2 * q + 1);
        int16_t* dst = b.data.data() + (p * pairs + q) * kI8GemmNr * 2;
        wasm_v128_store(dst, wasm_i16x8_shuffle(even, odd, 0, 8, 1, 9, 2, 10, 3, 11));
        wasm_v128_store(dst + 8, wasm_i16x8_shuffle(even, odd, 4, 12, 5, 13, 6, 14, 7, 15));
      }
  });
  if (full_panels == b.panels()) return;
  int16_t* tail = b.data.data() + full_panels * pairs * kI8GemmNr * 2;
  for (int64_t kk = 0; kk < 2 * pairs; ++kk)
    for (int64_t j = 0; j < kI8GemmNr; ++j) {
      const int64_t col = full_panels * kI8GemmNr + j;
      tail[((kk / 2) * kI8GemmNr + j) * 2 + kk % 2] = kk < k && col < n ? static_cast<int16_t>(rows[kk * n + col] - zero_point) : 0;
    }
}

}  // namespace qplay
