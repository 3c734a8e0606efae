// SIMD micro-kernels against their _ref twins, XNNPACK-style: sizes below, at and above the
// register block or vector width, odd K, strides and dilations, zero points at the extremes,
// per-row and per-column scales and biases, saturation, and sentinels that must survive.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kernels/simd/depthwise.h"
#include "kernels/simd/f32_conv_implicit.h"
#include "kernels/simd/f32_gemm.h"
#include "kernels/simd/i8_gemm.h"
#include "kernels/simd/i8_gemm_relaxed.h"

namespace qplay {
namespace {

constexpr int64_t kPad = 3;  // extra columns per output row that must keep the sentinel

TEST(F32Gemm, SimdEqualsReferenceBitForBit) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  for (int64_t m : {1, 3, 4, 5, 9})
    for (int64_t n : {1, 7, 8, 9, 17})
      for (int64_t k : {1, 2, 5, 16, 33})
        for (int variant = 0; variant < 3; ++variant) {
          std::vector<float> a(static_cast<size_t>(m * k)), b(static_cast<size_t>(k * n)), row_bias(m), col_bias(n);
          for (auto* v : {&a, &b, &row_bias, &col_bias})
            for (float& x : *v) x = dist(rng);
          F32GemmParams params;
          if (variant == 1) params.col_bias = col_bias.data(), params.min = 0.0f;
          if (variant == 2) params.row_bias = row_bias.data(), params.min = -0.5f, params.max = 0.5f;
          // variant 0 packs a transposed B: element (kk, j) at b[j * k + kk]
          const F32PackedB packed = variant == 0 ? PackF32B(b.data(), k, n, 1, k) : PackF32B(b.data(), k, n, n, 1);
          const int64_t ldc = n + kPad;
          std::vector<float> expected(static_cast<size_t>(m * ldc), 1234.5f), got = expected;
          f32_gemm__ref(m, a.data(), k, packed, expected.data(), ldc, params);
          f32_gemm_4x8__wasmsimd(m, a.data(), k, packed, got.data(), ldc, params);
          for (int64_t i = 0; i < m * ldc; ++i)
            ASSERT_EQ(got[i], expected[i]) << "m=" << m << " n=" << n << " k=" << k << " variant " << variant << " at " << i;
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = n; j < ldc; ++j) ASSERT_EQ(got[i * ldc + j], 1234.5f);
        }
}

// The in-place convolution GEMM against the packed GEMM's reference on the same B written out:
// rows of A past a quad, K past the rows summed while in cache (128), short tiles, and tiles
// taken in runs that split rows.
TEST(F32ConvImplicit, EqualsThePackedGemmsReferenceBitForBit) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  for (int64_t m : {1, 4, 6, 13})
    for (int64_t k : {1, 9, 130, 300})
      for (int64_t width : {3, 8, 13}) {
        const int64_t rows = 3, n = rows * width;
        InPlacePatches b;
        b.row_stride = width + 2;
        b.width = width;
        for (int64_t kk = 0; kk < k; ++kk) b.offsets.push_back(kk * 7 + kk % 3);
        std::vector<float> source(static_cast<size_t>(b.ReadEnd(rows * b.TilesPerRow())));
        for (float& v : source) v = dist(rng);
        std::vector<float> a(static_cast<size_t>(m * k)), explicit_b(static_cast<size_t>(k * n)), row_bias(m);
        for (auto* v : {&a, &row_bias})
          for (float& x : *v) x = dist(rng);
        for (int64_t kk = 0; kk < k; ++kk)
          for (int64_t pos = 0; pos < n; ++pos)
            explicit_b[kk * n + pos] = source[b.offsets[kk] + (pos / width) * b.row_stride + pos % width];
        F32GemmParams params;
        params.row_bias = row_bias.data();
        params.min = -3.0f;
        const int64_t ldc = n + kPad;
        std::vector<float> expected(static_cast<size_t>(m * ldc), 1234.5f), got = expected;
        f32_gemm__ref(m, a.data(), k, PackF32B(explicit_b.data(), k, n, n, 1), expected.data(), ldc, params);
        const F32RowQuads quads = PackF32RowQuads(a.data(), m, k);
        const int64_t tiles = rows * b.TilesPerRow(), split = tiles / 2 + 1;
        f32_conv_implicit_4x8__wasmsimd(quads, source.data(), b, 0, split, got.data(), ldc, params);
        f32_conv_implicit_4x8__wasmsimd(quads, source.data(), b, split, tiles, got.data(), ldc, params);
        for (int64_t i = 0; i < m * ldc; ++i)
          ASSERT_EQ(got[i], expected[i]) << "m=" << m << " k=" << k << " width=" << width << " at " << i;
      }
}

TEST(I8Gemm, SimdEqualsReferenceBitForBit) {
  std::mt19937 rng(2);
  for (DataType type : {DataType::kUint8, DataType::kInt8, DataType::kFloat, DataType::kInt32})
    for (int64_t m : {1, 3, 4, 5, 9})
      for (int64_t n : {1, 7, 8, 9, 17})
        for (int64_t k : {1, 2, 7, 16, 33})
          for (int variant = 0; variant < 2; ++variant) {
            // A: uint8 values minus a zero point at an extreme; B: int8 minus per-column zero points.
            const int32_t a_zp = variant ? 255 : 0;
            std::uniform_int_distribution<int> u8(0, 255), s8(-128, 127);
            const int64_t lda = EvenK(k);
            std::vector<int16_t> a(static_cast<size_t>(m * lda), 0);
            for (int64_t i = 0; i < m; ++i)
              for (int64_t kk = 0; kk < k; ++kk) a[i * lda + kk] = static_cast<int16_t>(u8(rng) - a_zp);
            std::vector<int32_t> b_zp(n);
            for (auto& z : b_zp) z = variant ? s8(rng) : 0;
            std::vector<int> b(static_cast<size_t>(k * n));
            for (int& v : b) v = s8(rng);
            const I8PackedB packed = PackI8B(k, n, [&](int64_t kk, int64_t j) { return b[kk * n + j] - b_zp[j]; });
            std::vector<int32_t> row_bias(m), col_bias(n);
            for (auto& x : row_bias) x = u8(rng) * 40 - 5000;
            for (auto& x : col_bias) x = u8(rng) * 40 - 5000;
            // Scales large enough that some outputs saturate.
            std::vector<float> scale(std::max(m, n));
            for (auto& s : scale) s = 0.0005f * static_cast<float>(u8(rng) + 1);
            I8GemmOutput out;
            out.type = type;
            out.ldc = n + kPad;
            out.scale = scale.data();
            out.scale_per_row = variant == 1;
            (variant ? out.row_bias : out.col_bias) = variant ? row_bias.data() : col_bias.data();
            out.zero_point = type == DataType::kInt8 ? -3 : (type == DataType::kUint8 ? 128 : 0);
            const size_t bytes = static_cast<size_t>(m * out.ldc) * ElementSize(type);
            std::vector<uint8_t> expected(bytes, 0xA5), got(bytes, 0xA5);
            out.data = expected.data();
            i8_gemm__ref(m, a.data(), lda, packed, out);
            out.data = got.data();
            i8_gemm_4x8__wasmsimd_dot16(m, a.data(), lda, packed, out);
            ASSERT_EQ(got, expected) << DataTypeName(type) << " m=" << m << " n=" << n << " k=" << k << " variant " << variant;
            for (int64_t i = 0; i < m; ++i)
              for (size_t byte = static_cast<size_t>((i * out.ldc + n) * ElementSize(type));
                   byte < static_cast<size_t>((i + 1) * out.ldc * ElementSize(type)); ++byte)
                ASSERT_EQ(got[byte], 0xA5);
          }
}

// Natively RelaxedDotAdd is the instruction's signed reading, done exactly in base SIMD; the
// probe must recognize it (the browser tests check the relaxed module's own reading).
TEST(RelaxedDot, ProbeRecognizesTheSignedReading) {
  EXPECT_EQ(ProbeRelaxedDot(RelaxedDotAdd), RelaxedDotMode::kSigned);
  EXPECT_EQ(RelaxedDot(), RelaxedDotMode::kNone);  // not a relaxed-SIMD build: the GEMMs keep dot16
}

// Raw bytes with zero points at the extremes (the corrections' largest terms), both operand
// types, per-row and per-column zero points on the A and B sides.
template <typename TA, typename TB>
void CheckRelaxedGemm(std::mt19937& rng) {
  std::uniform_int_distribution<int> byte(0, 255);
  auto value = [&](auto tag) { return static_cast<decltype(tag)>(byte(rng) - (std::is_signed_v<decltype(tag)> ? 128 : 0)); };
  for (DataType type : {DataType::kUint8, DataType::kFloat, DataType::kInt32})
    for (int64_t m : {1, 3, 4, 5, 9})
      for (int64_t n : {1, 7, 8, 9, 17})
        for (int64_t k : {1, 3, 4, 5, 16, 33})
          for (int variant = 0; variant < 2; ++variant) {
            std::vector<TA> a(static_cast<size_t>(m * k));
            std::vector<TB> b(static_cast<size_t>(k * n));
            for (TA& v : a) v = value(TA{});
            for (TB& v : b) v = value(TB{});
            std::vector<int32_t> a_zp(static_cast<size_t>(m)), b_zp(static_cast<size_t>(n));
            const int32_t lowest = std::is_signed_v<TA> ? -128 : 0;
            for (int32_t& z : a_zp) z = variant ? value(TA{}) : lowest + 255 * (byte(rng) % 2);
            for (int32_t& z : b_zp) z = variant ? value(TB{}) : (std::is_signed_v<TB> ? -128 : 255);
            const int64_t lda = EvenK(k);
            std::vector<int16_t> widened(static_cast<size_t>(m * lda), 0);
            for (int64_t i = 0; i < m; ++i)
              for (int64_t kk = 0; kk < k; ++kk) widened[i * lda + kk] = static_cast<int16_t>(a[i * k + kk] - a_zp[i]);
            const I8PackedB reference_b = PackI8B(k, n, [&](int64_t kk, int64_t j) { return b[kk * n + j] - b_zp[j]; });
            I8x4Rows rows;
            ToI8x4Rows(a.data(), m, k, a_zp.data(), 1, rows);
            I8x4PackedB packed;
            if (variant) packed = PackI8x4B<TB>(k, n, RelaxedDotMode::kSigned, [&](int64_t kk, int64_t j) { return b[kk * n + j]; },
                                                [&](int64_t j) { return b_zp[j]; });
            else PackI8x4Rows(b.data(), k, n, b_zp[0], RelaxedDotMode::kSigned, packed);
            std::vector<int32_t> bias(static_cast<size_t>(n));
            for (auto& x : bias) x = byte(rng) * 40 - 5000;
            std::vector<float> scale(static_cast<size_t>(n));
            for (auto& s : scale) s = 0.0002f * static_cast<float>(byte(rng) + 1);
            I8GemmOutput out;
            out.type = type;
            out.ldc = n + kPad;
            out.scale = scale.data();
            out.col_bias = bias.data();
            out.zero_point = type == DataType::kUint8 ? 128 : 0;
            const size_t bytes = static_cast<size_t>(m * out.ldc) * ElementSize(type);
            std::vector<uint8_t> expected(bytes, 0xA5), got(bytes, 0xA5);
            out.data = expected.data();
            i8_gemm__ref(m, widened.data(), lda, reference_b, out);
            out.data = got.data();
            i8_gemm_4x8__wasmrelaxed(m, ViewFrom(rows, 0), packed, out);
            ASSERT_EQ(got, expected) << DataTypeName(type) << " m=" << m << " n=" << n << " k=" << k << " variant " << variant;
          }
}

TEST(I8GemmRelaxed, EqualsReferenceBitForBit) {
  std::mt19937 rng(4);
  CheckRelaxedGemm<uint8_t, int8_t>(rng);
  CheckRelaxedGemm<uint8_t, uint8_t>(rng);
  CheckRelaxedGemm<int8_t, int8_t>(rng);
  CheckRelaxedGemm<int8_t, uint8_t>(rng);
}

// Window geometry of a 2-D depthwise case over an already padded plane.
WindowGeometry DepthwiseWindow(int64_t h, int64_t w, int64_t kernel, int64_t stride, int64_t dilation) {
  WindowGeometry g;
  g.input = {h, w};
  g.kernel = {kernel, kernel};
  g.strides = {stride, stride};
  g.dilations = {dilation, dilation};
  g.pad_begin = g.pad_end = {0, 0};
  g.output = {(h - dilation * (kernel - 1) - 1) / stride + 1, (w - dilation * (kernel - 1) - 1) / stride + 1};
  return g;
}

TEST(Depthwise, SimdEqualsReferenceBitForBit) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> real(-1.0f, 1.0f);
  std::uniform_int_distribution<int> level(-255, 255);
  // Kernel widths even and odd (the 8-bit kernel pairs adjacent taps, an odd row's last with
  // a zero weight), strides 1 and 2 (paired) and 3 and dilation 2 (one tap at a time).
  for (int64_t kernel : {2, 3, 5})
    for (int64_t width : {3, 4, 9, 17, 30})
      for (int64_t stride : {1, 2, 3})
        for (int64_t dilation : {1, 2}) {
          const int64_t h = 9;
          if (width < dilation * (kernel - 1) + 1 || h < dilation * (kernel - 1) + 1) continue;
          const WindowGeometry g = DepthwiseWindow(h, width, kernel, stride, dilation);
          const int64_t outputs = g.output[0] * g.output[1], plane = h * width + DepthwiseSlack(g);
          std::vector<float> xf(static_cast<size_t>(plane)), wf(static_cast<size_t>(kernel * kernel));
          for (float& v : xf) v = real(rng);
          for (float& v : wf) v = real(rng);
          std::vector<float> expected(static_cast<size_t>(outputs + kPad), 7.5f), got = expected;
          f32_dwconv__ref(xf.data(), width, g, wf.data(), 0.25f, expected.data());
          f32_dwconv_4__wasmsimd(xf.data(), width, g, wf.data(), 0.25f, got.data());
          ASSERT_EQ(got, expected) << "float kernel " << kernel << " width " << width << " stride " << stride << " dilation " << dilation;

          std::vector<int16_t> xi(static_cast<size_t>(plane)), wi(static_cast<size_t>(kernel * kernel));
          for (auto& v : xi) v = static_cast<int16_t>(level(rng));
          for (auto& v : wi) v = static_cast<int16_t>(level(rng) / 2);
          for (DataType type : {DataType::kUint8, DataType::kInt8}) {
            std::vector<uint8_t> want(static_cast<size_t>(outputs + kPad), 0xA5), have = want;
            i16_dwconv__ref(xi.data(), width, g, wi.data(), -300, 0.0004f, type == DataType::kInt8 ? -2 : 130, type, want.data());
            i16_dwconv_8__wasmsimd(xi.data(), width, g, wi.data(), -300, 0.0004f, type == DataType::kInt8 ? -2 : 130, type, have.data());
            ASSERT_EQ(have, want) << DataTypeName(type) << " kernel " << kernel << " width " << width << " stride " << stride << " dilation " << dilation;
          }
        }
}

}  // namespace
}  // namespace qplay
