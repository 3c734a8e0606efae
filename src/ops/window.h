// Window geometry shared by Conv, ConvTranspose and the pooling ops: kernel size, strides,
// dilations and pads (explicit or auto_pad), and the resulting output size, per spatial axis.
// Shape inference and the kernels both read it.
#pragma once
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/ir.h"
#include "ops/schema.h"

namespace qplay {

struct WindowGeometry {
  Shape input;                     // spatial input dims
  Shape kernel, strides, dilations;
  Shape pad_begin, pad_end;
  Shape output;                    // spatial output dims
  int64_t spatial_rank() const { return static_cast<int64_t>(input.size()); }
};

// Reads kernel_shape (or `kernel` when given), strides, dilations, pads/auto_pad and
// ceil_mode from the node. `input` holds the spatial input dims.
Result<WindowGeometry> ComputeWindow(const Node& node, const Shape& input, const Shape& kernel);

// Shape inference of the windowed ops: Conv, ConvInteger, QLinearConv, ConvTranspose and the
// pools. Output 0 takes `dtype`; an optional output 1 (MaxPool's indices) the same shape.
std::vector<ValueInfo> WindowedInfer(InferContext& ctx, DataType dtype, const ValueInfo* weight);

// The attributes every windowed op takes: auto_pad, kernel_shape, pads, strides (and dilations).
OpSchema& WindowAttrs(OpSchema& s, bool dilations = true);

}  // namespace qplay
