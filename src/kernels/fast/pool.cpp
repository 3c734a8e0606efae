// Fast 2-D MaxPool (float and 8-bit, as QDQ models run it on quantized tensors): the window's
// valid taps are worked out once per output row and column, the rows of a window are
// reduced with SIMD max across the row, and no inner loop checks bounds. The result equals
// the reference kernel's exactly.
#include <algorithm>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels/conv_geometry.h"
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

// rowmax[i] = max(rowmax[i], row[i]) for `count` elements, 16 bytes at a time.
template <typename T>
void MaxInto(T* rowmax, const T* row, int64_t count) {
  constexpr int64_t kLanes = 16 / sizeof(T);
  int64_t i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    const v128_t a = wasm_v128_load(rowmax + i), b = wasm_v128_load(row + i);
    v128_t m;
    if constexpr (std::is_same_v<T, float>) m = wasm_f32x4_max(a, b);
    else if constexpr (std::is_same_v<T, uint8_t>) m = wasm_u8x16_max(a, b);
    else m = wasm_i8x16_max(a, b);
    wasm_v128_store(rowmax + i, m);
  }
  for (; i < count; ++i) rowmax[i] = std::max(rowmax[i], row[i]);
}

// Per output row: the maximum over the window's valid input rows, vectorized across the row,
// then over the valid taps along it.
template <typename T>
void MaxPool2d(const T* x, T* y, int64_t planes, const WindowGeometry& g) {
  const TapRange rows = ValidTaps(g.output[0], g.input[0], g.kernel[0], g.strides[0], g.dilations[0], g.pad_begin[0]);
  const TapRange cols = ValidTaps(g.output[1], g.input[1], g.kernel[1], g.strides[1], g.dilations[1], g.pad_begin[1]);
  const int64_t h = g.input[0], w = g.input[1], oh = g.output[0], ow = g.output[1];
  T lowest = std::numeric_limits<T>::lowest();
  if constexpr (std::numeric_limits<T>::has_infinity) lowest = -std::numeric_limits<T>::infinity();
  std::vector<T> rowmax(static_cast<size_t>(w));
  for (int64_t plane = 0; plane < planes; ++plane) {
    const T* px = x + plane * h * w;
    T* py = y + plane * oh * ow;
    for (int64_t oy = 0; oy < oh; ++oy) {
      std::fill(rowmax.begin(), rowmax.end(), lowest);
      const int64_t y0 = oy * g.strides[0] - g.pad_begin[0];
      for (int64_t ky = rows.begin[oy]; ky < rows.end[oy]; ++ky) MaxInto(rowmax.data(), px + (y0 + ky * g.dilations[0]) * w, w);
      for (int64_t ox = 0; ox < ow; ++ox) {
        T best = lowest;
        const int64_t x0 = ox * g.strides[1] - g.pad_begin[1];
        for (int64_t kx = cols.begin[ox]; kx < cols.end[ox]; ++kx) best = std::max(best, rowmax[x0 + kx * g.dilations[1]]);
        py[oy * ow + ox] = best;
      }
    }
  }
}

Status MaxPool(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  const bool supported_type = x.dtype() == DataType::kFloat || x.dtype() == DataType::kUint8 || x.dtype() == DataType::kInt8;
  if (!supported_type || x.rank() != 4 || ctx.wants(1)) return RunReferenceKernel(ctx);
  auto window = ComputeWindow(ctx.node, {x.dim(2), x.dim(3)}, {});
  if (!window.ok()) return window.status();
  const WindowGeometry& g = *window;
  Tensor& y = ctx.Output(0, x.dtype(), {x.dim(0), x.dim(1), g.output[0], g.output[1]});
  const int64_t planes = x.dim(0) * x.dim(1);
  if (x.dtype() == DataType::kFloat) MaxPool2d(x.data<float>(), y.data<float>(), planes, g);
  else if (x.dtype() == DataType::kUint8) MaxPool2d(x.data<uint8_t>(), y.data<uint8_t>(), planes, g);
  else MaxPool2d(x.data<int8_t>(), y.data<int8_t>(), planes, g);
  return Status::Ok();
}

}  // namespace

void RegisterFastPoolKernels(KernelRegistry& r) { r.Add("MaxPool", MaxPool, "", KernelVariant::kFast); }

}  // namespace qplay
