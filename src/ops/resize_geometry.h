// Where Resize and Upsample sample: the output shape, each axis's scale and region of interest,
// read from the node's scales or sizes, axes and keep_aspect_ratio_policy. Shape inference and
// the kernel both read it.
#pragma once
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/ir.h"

namespace qplay {

struct ResizeGeometry {
  std::vector<int64_t> axes;  // the resized ones (the axes attribute, or all), non-negative
  Shape output;
  // Per axis: output over input length, or the common scale that keeps the aspect ratio. The
  // coordinate transformation divides by it.
  std::vector<double> scales;
  // Per axis: the region tf_crop_and_resize samples, as fractions of the input (0 to 1 when absent).
  std::vector<double> roi_start, roi_end;
};

// The inputs that say how Resize or Upsample sizes its output; null where absent. An empty
// tensor counts as absent, as ONNX defines it.
struct ResizeInputs {
  const Tensor* roi = nullptr;
  const Tensor* scales = nullptr;
  const Tensor* sizes = nullptr;
};

// The inputs of `node` (Resize of any version, or Upsample) at their positions in `inputs`
// (null where not given).
ResizeInputs PickResizeInputs(const Node& node, int64_t opset, const std::vector<const Tensor*>& inputs);

Result<ResizeGeometry> ComputeResizeGeometry(const Node& node, const Shape& input, const ResizeInputs& given);

}  // namespace qplay
