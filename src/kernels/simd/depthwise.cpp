#include "kernels/simd/depthwise.h"

#include <algorithm>

#include "kernels/simd/i8_gemm.h"
#include "kernels/simd/requantize.h"

namespace qplay {
namespace {

// Lanes p[0], p[stride], p[2 * stride], ... of a row.
v128_t LoadF32Lanes(const float* p, int64_t stride) {
  if (stride == 1) return wasm_v128_load(p);
  if (stride == 2) return wasm_i32x4_shuffle(wasm_v128_load(p), wasm_v128_load(p + 4), 0, 2, 4, 6);
  alignas(16) float lanes[4];
  for (int l = 0; l < 4; ++l) lanes[l] = p[l * stride];
  return wasm_v128_load(lanes);
}

v128_t LoadI16Lanes(const int16_t* p, int64_t stride) {
  if (stride == 1) return wasm_v128_load(p);
  if (stride == 2) return wasm_i16x8_shuffle(wasm_v128_load(p), wasm_v128_load(p + 8), 0, 2, 4, 6, 8, 10, 12, 14);
  alignas(16) int16_t lanes[8];
  for (int l = 0; l < 8; ++l) lanes[l] = p[l * stride];
  return wasm_v128_load(lanes);
}

// Calls tap(pointer to the first sample of output column ox, weight) for each tap in kernel order.
template <typename T, typename W, typename Tap>
void ForEachTap(const T* padded, int64_t padded_width, const WindowGeometry& g, const W* w, int64_t oy, int64_t ox, Tap tap) {
  for (int64_t ky = 0; ky < g.kernel[0]; ++ky) {
    const T* row = padded + (oy * g.strides[0] + ky * g.dilations[0]) * padded_width + ox * g.strides[1];
    for (int64_t kx = 0; kx < g.kernel[1]; ++kx) tap(row + kx * g.dilations[1], w[ky * g.kernel[1] + kx]);
  }
}

void StoreQuantized8(DataType type, void* out, int64_t at, const int32_t* values, int64_t count) {
  if (type == DataType::kInt8) std::copy(values, values + count, static_cast<int8_t*>(out) + at);
  else std::copy(values, values + count, static_cast<uint8_t*>(out) + at);
}

}  // namespace

int64_t DepthwiseSlack(const WindowGeometry& g) { return 16 * g.strides[1] + 16; }

void f32_dwconv__ref(const float* padded, int64_t padded_width, const WindowGeometry& g, const float* w, float bias, float* out) {
  for (int64_t oy = 0; oy < g.output[0]; ++oy)
    for (int64_t ox = 0; ox < g.output[1]; ++ox) {
      float acc = bias;
      ForEachTap(padded, padded_width, g, w, oy, ox, [&](const float* p, float weight) { acc += p[0] * weight; });
      out[oy * g.output[1] + ox] = acc;
    }
}

void f32_dwconv_4__wasmsimd(const float* padded, int64_t padded_width, const WindowGeometry& g, const float* w, float bias,
                            float* out) {
  const int64_t ow = g.output[1], stride = g.strides[1];
  for (int64_t oy = 0; oy < g.output[0]; ++oy)
    for (int64_t ox = 0; ox < ow; ox += 4) {
      v128_t acc = wasm_f32x4_splat(bias);
      ForEachTap(padded, padded_width, g, w, oy, ox, [&](const float* p, float weight) {
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(LoadF32Lanes(p, stride), wasm_f32x4_splat(weight)));
      });
      alignas(16) float lanes[4];
      wasm_v128_store(lanes, acc);
      std::copy(lanes, lanes + std::min<int64_t>(4, ow - ox), out + oy * ow + ox);
    }
}

void i16_dwconv__ref(const int16_t* padded, int64_t padded_width, const WindowGeometry& g, const int16_t* w, int32_t bias,
                     float scale, int32_t zero_point, DataType type, void* out) {
  for (int64_t oy = 0; oy < g.output[0]; ++oy)
    for (int64_t ox = 0; ox < g.output[1]; ++ox) {
      int32_t acc = bias;
      ForEachTap(padded, padded_width, g, w, oy, ox, [&](const int16_t* p, int16_t weight) { acc += p[0] * weight; });
      const int32_t q = Requantize(acc, scale, zero_point, type);
      StoreQuantized8(type, out, oy * g.output[1] + ox, &q, 1);
    }
}

namespace {

// Taps paired along the kernel row for i32x4.dot_i16x8_s: lane j of dot(x[o .. o + 7], pair)
// is x[o + 2j] * w[kx] + x[o + 2j + 1] * w[kx + 1], the two taps' share of one output. At
// stride 2 those are output j's samples; at stride 1 they are output 2j's, and the same dot
// one sample later gives output 2j + 1's. An odd row's last pair has weight 0 for the sample
// past the window. One dot replaces two extended multiplies (six x64 instructions) per tap.
constexpr int64_t kMaxPairs = 32;

struct TapPairs {
  v128_t weights[kMaxPairs];  // (w[kx], w[kx + 1]) in every 32-bit lane, pairs of each kernel row in turn
  int64_t per_row = 0;
};

bool PairTaps(const WindowGeometry& g, const int16_t* w, TapPairs& pairs) {
  const int64_t kh = g.kernel[0], kw = g.kernel[1];
  pairs.per_row = (kw + 1) / 2;
  if (g.dilations[1] != 1 || (g.strides[1] != 1 && g.strides[1] != 2) || kh * pairs.per_row > kMaxPairs) return false;
  for (int64_t ky = 0; ky < kh; ++ky)
    for (int64_t p = 0; p < pairs.per_row; ++p) {
      const int16_t first = w[ky * kw + 2 * p], second = 2 * p + 1 < kw ? w[ky * kw + 2 * p + 1] : 0;
      pairs.weights[ky * pairs.per_row + p] =
          wasm_i32x4_splat(static_cast<int32_t>(static_cast<uint16_t>(first) | static_cast<uint32_t>(static_cast<uint16_t>(second)) << 16));
    }
  return true;
}

// Eight outputs' int32 sums starting at output column ox of row oy, in order.
void PairedSums(const int16_t* padded, int64_t padded_width, const WindowGeometry& g, const TapPairs& pairs, int32_t bias,
                int64_t oy, int64_t ox, v128_t sums[2]) {
  const int64_t stride = g.strides[1];
  // Stride 2: sums[h] = outputs ox + 4h .. + 3. Stride 1: sums[0] = the even outputs, sums[1] the odd ones.
  const int64_t second_offset = stride == 2 ? 8 : 1;
  v128_t a = wasm_i32x4_splat(bias), b = a;
  for (int64_t ky = 0; ky < g.kernel[0]; ++ky) {
    const int16_t* row = padded + (oy * g.strides[0] + ky * g.dilations[0]) * padded_width + ox * stride;
    const v128_t* weights = pairs.weights + ky * pairs.per_row;
    for (int64_t p = 0; p < pairs.per_row; ++p) {
      a = wasm_i32x4_add(a, wasm_i32x4_dot_i16x8(wasm_v128_load(row + 2 * p), weights[p]));
      b = wasm_i32x4_add(b, wasm_i32x4_dot_i16x8(wasm_v128_load(row + 2 * p + second_offset), weights[p]));
    }
  }
  if (stride == 2) {
    sums[0] = a, sums[1] = b;
  } else {
    sums[0] = wasm_i32x4_shuffle(a, b, 0, 4, 1, 5);
    sums[1] = wasm_i32x4_shuffle(a, b, 2, 6, 3, 7);
  }
}

}  // namespace

void i16_dwconv_8__wasmsimd(const int16_t* padded, int64_t padded_width, const WindowGeometry& g, const int16_t* w,
                            int32_t bias, float scale, int32_t zero_point, DataType type, void* out) {
  const int64_t ow = g.output[1], stride = g.strides[1];
  const int32_t qmin = type == DataType::kInt8 ? -128 : 0, qmax = type == DataType::kInt8 ? 127 : 255;
  const v128_t vscale = wasm_f32x4_splat(scale);
  const RoundingLanes rounding(static_cast<float>(qmin - zero_point), static_cast<float>(qmax - zero_point), zero_point);
  TapPairs pairs;
  const bool paired = PairTaps(g, w, pairs);
  for (int64_t oy = 0; oy < g.output[0]; ++oy)
    for (int64_t ox = 0; ox < ow; ox += 8) {
      v128_t sums[2];
      if (paired) {
        PairedSums(padded, padded_width, g, pairs, bias, oy, ox, sums);
      } else {
        sums[0] = sums[1] = wasm_i32x4_splat(bias);
        ForEachTap(padded, padded_width, g, w, oy, ox, [&](const int16_t* p, int16_t weight) {
          const v128_t x = LoadI16Lanes(p, stride), wv = wasm_i16x8_splat(weight);
          sums[0] = wasm_i32x4_add(sums[0], wasm_i32x4_extmul_low_i16x8(x, wv));
          sums[1] = wasm_i32x4_add(sums[1], wasm_i32x4_extmul_high_i16x8(x, wv));
        });
      }
      // Requantized lanes are in the type's range: narrowing does not saturate.
      const v128_t words = wasm_i16x8_narrow_i32x4(RequantizeLanes(sums[0], vscale, rounding), RequantizeLanes(sums[1], vscale, rounding));
      const v128_t bytes = type == DataType::kInt8 ? wasm_i8x16_narrow_i16x8(words, words) : wasm_u8x16_narrow_i16x8(words, words);
      uint8_t* dst = static_cast<uint8_t*>(out) + oy * ow + ox;
      if (ox + 8 <= ow) {
        wasm_v128_store64_lane(dst, bytes, 0);
      } else {
        alignas(16) uint8_t lanes[16];
        wasm_v128_store(lanes, bytes);
        std::copy(lanes, lanes + (ow - ox), dst);
      }
    }
}

}  // namespace qplay
