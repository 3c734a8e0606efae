// A convolution's sizes as its kernels see them (the window itself is ops/window.h), and a
// walk over output positions.
#pragma once
#include <string>
#include <vector>

#include "kernels/kernel.h"
#include "ops/window.h"

namespace qplay {

// A convolution's sizes: batch, channels, group and window.
struct ConvShape {
  int64_t batch = 0, in_channels = 0, out_channels = 0, group = 1;
  WindowGeometry window;
  Shape OutputShape() const {
    Shape s{batch, out_channels};
    s.insert(s.end(), window.output.begin(), window.output.end());
    return s;
  }
};

// Checks X (N x C x spatial...) against W (M x C/group x kernel...), the node's group and the
// bias' length.
Result<ConvShape> PlanConv(const KernelContext& ctx, const Tensor& x, const Tensor& w);

// A transposed convolution's sizes: X (N x C x spatial...), W (C x M/group x kernel...), and the
// output's spatial lengths and pads after output_shape, auto_pad and output_padding.
struct TransposedConvShape {
  int64_t rank = 0, batch = 0, in_channels = 0, out_channels = 0, group = 1, in_per_group = 0, out_per_group = 0;
  Shape input, kernel, strides, dilations, pads, output;
  Shape OutputShape() const {
    Shape s{batch, out_channels};
    s.insert(s.end(), output.begin(), output.end());
    return s;
  }
};

// Checks a float ConvTranspose's X, W, attributes and bias, computing its output sizes without
// overflowing int64.
Result<TransposedConvShape> PlanConvTranspose(const KernelContext& ctx, const Tensor& x, const Tensor& w);

// Calls fn(out_offset, out_index) over every spatial output position in row-major order.
template <typename Fn>
void ForEachPosition(const Shape& dims, Fn&& fn) {
  const int64_t total = NumElements(dims);
  std::vector<int64_t> index(dims.size(), 0);
  for (int64_t flat = 0; flat < total; ++flat) {
    fn(flat, index);
    for (size_t d = dims.size(); d-- > 0;) {
      if (++index[d] < dims[d]) break;
      index[d] = 0;
    }
  }
}

}  // namespace qplay
