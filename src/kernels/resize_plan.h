// How a Resize (opset 10+) or Upsample (opset 7-9) node resamples its input, as ONNX Runtime
// computes it, before any element moves: the interpolation and coordinate modes, and per axis the
// input elements each output index reads with their weights (kernels/reference/resize.cpp runs
// any plan; kernels/fast/resize.cpp runs the common ones faster).
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/kernel.h"

namespace qplay {

enum class Interpolation { kNearest, kLinear, kCubic };

struct ResizeMode {
  Interpolation interpolation = Interpolation::kNearest;
  std::string coordinates = "half_pixel";
  std::string nearest = "round_prefer_floor";
  double cubic_coeff_a = -0.75;
  bool exclude_outside = false;
  bool antialias = false;
  double extrapolation_value = 0;
};

// What each output index reads along one axis: `width` input indices and their weights.
struct AxisTaps {
  int64_t width = 1;
  std::vector<int64_t> index;   // out_len x width, each within the input
  std::vector<float> weight;    // out_len x width
  std::vector<uint8_t> outside;  // per output index: it samples outside the input (tf_crop_and_resize)

  bool Extrapolates() const { return std::find(outside.begin(), outside.end(), 1) != outside.end(); }
  // True when every output index reads only its own input element, with weight 1 (a linear axis
  // at scale 1 has a second tap of weight 0): nothing to resample.
  bool Identity(int64_t in_len) const {
    if (static_cast<int64_t>(index.size()) != in_len * width || Extrapolates()) return false;
    for (int64_t i = 0; i < in_len; ++i)
      for (int64_t k = 0; k < width; ++k) {
        const float w = weight[i * width + k];
        if (w != 0 && (w != 1 || index[i * width + k] != i || k != 0)) return false;
        if (k == 0 && w != 1) return false;
      }
    return true;
  }
};

// A node's resize: its mode, output shape and the taps of each axis, with the axes that move
// (innermost first; the others are copied as they are).
struct ResizePlan {
  ResizeMode mode;
  Shape output;
  std::vector<AxisTaps> taps;
  std::vector<int64_t> resampled;
};

// The node's plan, or an error naming the bad mode, scales or sizes, or an element type the mode
// cannot compute in.
Result<ResizePlan> PlanResize(KernelContext& ctx);

// Runs any plan the way the reference kernel does (kernels/reference/resize.cpp): what the fast
// kernel calls for plans it does not take, without planning again.
Status ResizeByPlan(KernelContext& ctx, const ResizePlan& plan);

}  // namespace qplay
