// Fast pooling: 2-D MaxPool (float and 8-bit, as QDQ models run it on quantized tensors),
// whose window taps are worked out once per output row and column, rows reduced with SIMD max
// and no inner loop checking bounds; 2-D float AveragePool on the same tap ranges; and
// QLinearGlobalAveragePool summed in vector lanes. The results equal the reference kernels'
// exactly.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/conv_geometry.h"
#include "kernels/quant_math.h"
#include "kernels/registry.h"
#include "kernels/simd/simd.h"

namespace qplay {
namespace {

// For each output index along one axis: the first and one-past-last kernel tap inside the input.
struct TapRange {
  std::vector<int64_t> begin, end;
};

TapRange ValidTaps(int64_t outputs, int64_t input, int64_t kernel, int64_t stride, int64_t dilation, int64_t pad) {
  TapRange r;
  for (int64_t o = 0; o < outputs; ++o) {
    const int64_t start = o * stride - pad;
    int64_t b = 0, e = kernel;
    while (b < kernel && start + b * dilation < 0) ++b;
    while (e > b && start + (e - 1) * dilation >= input) --e;
    r.begin.push_back(b);
    r.end.push_back(e);
  }
  return r;
}

template <typename T>
v128_t MaxLanes(v128_t a, v128_t b) {
  if constexpr (std::is_same_v<T, float>) return wasm_f32x4_max(a, b);
  else if constexpr (std::is_same_v<T, uint8_t>) return wasm_u8x16_max(a, b);
  else return wasm_i8x16_max(a, b);
}

// Lanes p[0], p[2], p[4], ... (two vectors' even lanes).
template <typename T>
v128_t EvenLanes(const T* p) {
  const v128_t a = wasm_v128_load(p), b = wasm_v128_load(p + 16 / sizeof(T));
  if constexpr (sizeof(T) == 4) return wasm_i32x4_shuffle(a, b, 0, 2, 4, 6);
  else return wasm_i8x16_shuffle(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
}

// out[i] = max(a[i], b[i]) for `count` elements, 16 bytes at a time. The last vector may
// run past `count` (`out` has the slack) while `b`'s stays before `end`, the end of b's
// buffer (`a` is `out` or an earlier row of that buffer): rows narrower than a vector are
// common in NCHW.
template <typename T>
void MaxOfRows(T* out, const T* a, const T* b, int64_t count, const T* end) {
  constexpr int64_t kLanes = 16 / sizeof(T);
  int64_t i = 0;
  for (; i < count && b + i + kLanes <= end; i += kLanes)
    wasm_v128_store(out + i, MaxLanes<T>(wasm_v128_load(a + i), wasm_v128_load(b + i)));
  for (; i < count; ++i) out[i] = std::max(a[i], b[i]);
}

// The outputs along a row whose taps all lie inside the input: [begin, end).
struct FullOutputs {
  int64_t begin = 0, end = 0;
};

FullOutputs FullyInside(const TapRange& taps, int64_t kernel) {
  FullOutputs f;
  const int64_t n = static_cast<int64_t>(taps.begin.size());
  while (f.begin < n && (taps.begin[f.begin] != 0 || taps.end[f.begin] != kernel)) ++f.begin;
  f.end = f.begin;
  while (f.end < n && taps.begin[f.end] == 0 && taps.end[f.end] == kernel) ++f.end;
  return f;
}

// Per output row: the maximum over the window's valid input rows, vectorized across the row,
// then over the taps along it (vectorized for the fully inside outputs at strides 1 and 2).
template <typename T>
void MaxPool2d(const T* x, T* y, int64_t planes, const WindowGeometry& g) {
  constexpr int64_t kLanes = 16 / sizeof(T);
  const TapRange rows = ValidTaps(g.output[0], g.input[0], g.kernel[0], g.strides[0], g.dilations[0], g.pad_begin[0]);
  const TapRange cols = ValidTaps(g.output[1], g.input[1], g.kernel[1], g.strides[1], g.dilations[1], g.pad_begin[1]);
  const int64_t h = g.input[0], w = g.input[1], oh = g.output[0], ow = g.output[1];
  const int64_t stride = g.strides[1], dilation = g.dilations[1], pad = g.pad_begin[1], kw = g.kernel[1];
  const FullOutputs full = stride <= 2 ? FullyInside(cols, kw) : FullOutputs{};
  T lowest = std::numeric_limits<T>::lowest();
  if constexpr (std::numeric_limits<T>::has_infinity) lowest = -std::numeric_limits<T>::infinity();
  // Slack: the row pass's last vector and stride 2's second vector read past the row.
  std::vector<T> rowmax(static_cast<size_t>(w + 3 * kLanes));
  auto column_max = [&](int64_t ox) {
    T best = lowest;
    const int64_t x0 = ox * stride - pad;
    for (int64_t kx = cols.begin[ox]; kx < cols.end[ox]; ++kx) best = std::max(best, rowmax[x0 + kx * dilation]);
    return best;
  };
  const T* x_end = x + planes * h * w;
  T* y_end = y + planes * oh * ow;
  for (int64_t plane = 0; plane < planes; ++plane) {
    const T* px = x + plane * h * w;
    T* py = y + plane * oh * ow;
    for (int64_t oy = 0; oy < oh; ++oy) {
      T* out = py + oy * ow;
      const int64_t y0 = oy * g.strides[0] - g.pad_begin[0];
      if (rows.begin[oy] == rows.end[oy]) {
        std::fill(out, out + ow, lowest);
        continue;
      }
      auto input_row = [&](int64_t ky) { return px + (y0 + ky * g.dilations[0]) * w; };
      T* const m = rowmax.data();
      if (rows.end[oy] - rows.begin[oy] == 1) std::copy_n(input_row(rows.begin[oy]), w, m);
      else MaxOfRows(m, input_row(rows.begin[oy]), input_row(rows.begin[oy] + 1), w, x_end);
      for (int64_t ky = rows.begin[oy] + 2; ky < rows.end[oy]; ++ky) MaxOfRows(m, static_cast<const T*>(m), input_row(ky), w, x_end);
      int64_t ox = 0;
      for (; ox < full.begin; ++ox) out[ox] = column_max(ox);
      // The last vector may store past full.end: the scalar pass below rewrites up to the row's
      // end, and the rows after this one are written later.
      for (; ox < full.end && out + ox + kLanes <= y_end; ox += kLanes) {
        const T* first = rowmax.data() + ox * stride - pad;
        v128_t best = stride == 1 ? wasm_v128_load(first) : EvenLanes(first);
        for (int64_t kx = 1; kx < kw; ++kx)
          best = MaxLanes<T>(best, stride == 1 ? wasm_v128_load(first + kx * dilation) : EvenLanes(first + kx * dilation));
        wasm_v128_store(out + ox, best);
      }
      for (ox = std::min(ox, full.end); ox < ow; ++ox) out[ox] = column_max(ox);
    }
  }
}

// True for a 2x2 window at stride 2 tiling the input exactly (no padding, even sides): the
// pooling of most CNNs.
bool TwoByTwoTiling(const WindowGeometry& g) {
  return g.kernel == Shape{2, 2} && g.strides == Shape{2, 2} && g.dilations == Shape{1, 1} && g.pad_begin == Shape{0, 0} &&
         g.pad_end == Shape{0, 0} && g.input[0] == 2 * g.output[0] && g.input[1] == 2 * g.output[1];
}

// 2x2 stride 2 over `rows` output rows of all planes at once: each pair of input rows into
// one row of `vertical` (contiguous across rows), then, as no horizontal pair straddles two
// rows, output o is the maximum of vertical[2o] and vertical[2o + 1]: one flat vector loop,
// whatever the width.
template <typename T>
void MaxPool2x2(const T* x, T* y, int64_t rows, int64_t w) {
  constexpr int64_t kLanes = 16 / sizeof(T);
  const int64_t outputs = rows * (w / 2);
  std::vector<T> vertical(static_cast<size_t>(rows * w + 3 * kLanes));  // slack for the last vectors
  const T* x_end = x + 2 * rows * w;
  for (int64_t r = 0; r < rows; ++r) MaxOfRows(vertical.data() + r * w, x + 2 * r * w, x + (2 * r + 1) * w, w, x_end);
  const T* v = vertical.data();
  int64_t o = 0;
  for (; o + kLanes <= outputs; o += kLanes) {
    const v128_t even = EvenLanes(v + 2 * o), odd = EvenLanes(v + 2 * o + 1);
    wasm_v128_store(y + o, MaxLanes<T>(even, odd));
  }
  for (; o < outputs; ++o) y[o] = std::max(v[2 * o], v[2 * o + 1]);
}

Status MaxPool(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  const bool supported_type = x.dtype() == DataType::kFloat || x.dtype() == DataType::kUint8 || x.dtype() == DataType::kInt8;
  if (!supported_type || x.rank() != 4 || ctx.wants(1)) return RunReferenceKernel(ctx);
  auto window = ComputeWindow(ctx.node, {x.dim(2), x.dim(3)}, {});
  if (!window.ok()) return window.status();
  const WindowGeometry& g = *window;
  Tensor& y = ctx.OutputToOverwrite(0, x.dtype(), {x.dim(0), x.dim(1), g.output[0], g.output[1]});
  const int64_t planes = x.dim(0) * x.dim(1);
  const int64_t in_plane = g.input[0] * g.input[1], out_plane = g.output[0] * g.output[1];
  // The threads take runs of output rows (2x2 tiling) or of planes; each run's reads and
  // stores stay inside its own rows.
  auto pool = [&](auto* input, auto* output) {
    if (TwoByTwoTiling(g)) {
      const int64_t rows = planes * g.output[0], w = g.input[1];
      ParallelFor(rows, GrainForWork(2 * w), [&](int64_t first, int64_t last) {
        MaxPool2x2(input + first * 2 * w, output + first * (w / 2), last - first, w);
      });
    } else {
      ParallelFor(planes, GrainForWork(out_plane * NumElements(g.kernel)), [&](int64_t first, int64_t last) {
        MaxPool2d(input + first * in_plane, output + first * out_plane, last - first, g);
      });
    }
  };
  if (x.dtype() == DataType::kFloat) pool(x.data<float>(), y.data<float>());
  else if (x.dtype() == DataType::kUint8) pool(x.data<uint8_t>(), y.data<uint8_t>());
  else pool(x.data<int8_t>(), y.data<int8_t>());
  return Status::Ok();
}

// Along one axis, per output: how many kernel taps fall before the input's end plus its end
// padding, the divisor count_include_pad counts (the reference's "padded" taps).
std::vector<int64_t> PaddedTaps(int64_t outputs, int64_t input, int64_t kernel, int64_t stride, int64_t dilation, int64_t pad_begin,
                                int64_t pad_end) {
  std::vector<int64_t> taps(static_cast<size_t>(outputs));
  for (int64_t o = 0; o < outputs; ++o)
    for (int64_t k = 0; k < kernel; ++k) taps[o] += o * stride - pad_begin + k * dilation < input + pad_end;
  return taps;
}

// 2-D float AveragePool: each output's taps inside the input summed in double in the
// reference's order (rows, then taps along them) and divided in double, so the result is the
// reference's bit for bit, without its per-tap index arithmetic.
Status AveragePool(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  if (x.dtype() != DataType::kFloat || x.rank() != 4) return RunReferenceKernel(ctx);
  auto window = ComputeWindow(ctx.node, {x.dim(2), x.dim(3)}, {});
  if (!window.ok()) return window.status();
  const WindowGeometry& g = *window;
  Tensor& y = ctx.OutputToOverwrite(0, DataType::kFloat, {x.dim(0), x.dim(1), g.output[0], g.output[1]});
  const bool count_pad = ctx.node.GetInt("count_include_pad", 0) != 0;
  const TapRange rows = ValidTaps(g.output[0], g.input[0], g.kernel[0], g.strides[0], g.dilations[0], g.pad_begin[0]);
  const TapRange cols = ValidTaps(g.output[1], g.input[1], g.kernel[1], g.strides[1], g.dilations[1], g.pad_begin[1]);
  const std::vector<int64_t> padded_rows =
      PaddedTaps(g.output[0], g.input[0], g.kernel[0], g.strides[0], g.dilations[0], g.pad_begin[0], g.pad_end[0]);
  const std::vector<int64_t> padded_cols =
      PaddedTaps(g.output[1], g.input[1], g.kernel[1], g.strides[1], g.dilations[1], g.pad_begin[1], g.pad_end[1]);
  const int64_t w = g.input[1], oh = g.output[0], ow = g.output[1], in_plane = g.input[0] * w;
  ParallelFor(x.dim(0) * x.dim(1), GrainForWork(oh * ow * NumElements(g.kernel)), [&](int64_t first, int64_t last) {
    for (int64_t plane = first; plane < last; ++plane) {
      const float* px = x.data<float>() + plane * in_plane;
      float* py = y.data<float>() + plane * oh * ow;
      for (int64_t oy = 0; oy < oh; ++oy) {
        const int64_t y0 = oy * g.strides[0] - g.pad_begin[0];
        for (int64_t ox = 0; ox < ow; ++ox) {
          const int64_t x0 = ox * g.strides[1] - g.pad_begin[1];
          double sum = 0;
          for (int64_t ky = rows.begin[oy]; ky < rows.end[oy]; ++ky) {
            const float* row = px + (y0 + ky * g.dilations[0]) * w + x0;
            for (int64_t kx = cols.begin[ox]; kx < cols.end[ox]; ++kx) sum += static_cast<double>(row[kx * g.dilations[1]]);
          }
          const int64_t count = count_pad ? padded_rows[oy] * padded_cols[ox]
                                          : (rows.end[oy] - rows.begin[oy]) * (cols.end[ox] - cols.begin[ox]);
          py[oy * ow + ox] = static_cast<float>(sum / static_cast<double>(count));
        }
      }
    }
  });
  return Status::Ok();
}

// The sum of one plane's dequantized values (q - zp) x s, each rounded to float, in double as
// the reference's float GlobalAveragePool sums them. Every term is a multiple of s's unit in
// the last place and at most 255 s, so for planes below 2^20 values the double sum is exact
// in any order: two f64 lanes give the reference's sum bit for bit.
template <typename T>
double DequantizedSum(const T* q, int64_t count, int32_t zero_point, float scale) {
  const v128_t zp = wasm_i32x4_splat(zero_point), s = wasm_f32x4_splat(scale);
  v128_t sum = wasm_f64x2_splat(0.0);
  auto add_four = [&](v128_t ints) {
    const v128_t reals = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_sub(ints, zp)), s);
    sum = wasm_f64x2_add(sum, wasm_f64x2_promote_low_f32x4(reals));
    sum = wasm_f64x2_add(sum, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(reals, reals, 2, 3, 2, 3)));
  };
  int64_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const v128_t wide = std::is_signed_v<T> ? wasm_i16x8_load8x8(q + i) : wasm_u16x8_load8x8(q + i);
    add_four(wasm_i32x4_extend_low_i16x8(wide));
    add_four(wasm_i32x4_extend_high_i16x8(wide));
  }
  double total = wasm_f64x2_extract_lane(sum, 0) + wasm_f64x2_extract_lane(sum, 1);
  for (; i < count; ++i) total += static_cast<double>(static_cast<float>(static_cast<int32_t>(q[i]) - zero_point) * scale);
  return total;
}

// com.microsoft QLinearGlobalAveragePool (NCHW): each plane's mean of dequantized values,
// requantized; the reference's result without its dequantized copy of the input.
Status QLinearGlobalAveragePool(KernelContext& ctx) {
  const Tensor &x = ctx.in(0), &x_scale = ctx.in(1), &y_scale = ctx.in(3);
  constexpr int64_t kExactSumLimit = int64_t{1} << 20;
  if (!Is8Bit(x) || x.rank() < 3 || x_scale.size() != 1 || y_scale.size() != 1 || ctx.node.GetInt("channels_last", 0) != 0 ||
      (ctx.has(4) && !Is8Bit(ctx.in(4))))
    return RunReferenceKernel(ctx);
  const int64_t planes = x.dim(0) * x.dim(1), size = planes ? x.size() / planes : 0;
  if (size == 0 || size >= kExactSumLimit) return RunReferenceKernel(ctx);
  Shape out_shape = x.shape();
  for (size_t d = 2; d < out_shape.size(); ++d) out_shape[d] = 1;
  const Tensor* y_zp = ctx.has(4) ? &ctx.in(4) : nullptr;
  Tensor& y = ctx.OutputToOverwrite(0, y_zp ? y_zp->dtype() : DataType::kUint8, out_shape);
  const int32_t x_zp = ZeroPointAt(ctx.has(2) ? &ctx.in(2) : nullptr, 0);
  const float sx = x_scale.data<float>()[0], sy = y_scale.data<float>()[0];
  const float zp = static_cast<float>(ZeroPointAt(y_zp, 0));
  StoreQuantized(y, [&](int64_t plane) {
    const double sum = x.dtype() == DataType::kUint8 ? DequantizedSum(x.data<uint8_t>() + plane * size, size, x_zp, sx)
                                                     : DequantizedSum(x.data<int8_t>() + plane * size, size, x_zp, sx);
    const float mean = static_cast<float>(sum / static_cast<double>(size));
    return std::nearbyint(mean / sy) + zp;
  });
  return Status::Ok();
}

}  // namespace

void RegisterFastPoolKernels(KernelRegistry& r) {
  r.Add("MaxPool", MaxPool, "", KernelVariant::kFast);
  r.Add("AveragePool", AveragePool, "", KernelVariant::kFast);
  r.Add("QLinearGlobalAveragePool", QLinearGlobalAveragePool, "com.microsoft", KernelVariant::kFast);
}

}  // namespace qplay
