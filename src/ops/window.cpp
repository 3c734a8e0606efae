#include "ops/window.h"

#include <algorithm>

namespace qplay {

Result<WindowGeometry> ComputeWindow(const Node& node, const Shape& input, const Shape& kernel) {
  const size_t rank = input.size();
  WindowGeometry g;
  g.input = input;
  g.kernel = kernel.empty() ? node.GetInts("kernel_shape") : kernel;
  if (g.kernel.size() != rank)
    return Fail(StatusCode::kInvalidArgument, "kernel_shape has ", g.kernel.size(), " dims but the input has ", rank,
                " spatial dims");
  g.strides = node.GetInts("strides", Shape(rank, 1));
  g.dilations = node.GetInts("dilations", Shape(rank, 1));
  if (g.strides.size() != rank || g.dilations.size() != rank)
    return Fail(StatusCode::kInvalidArgument, "strides/dilations must have ", rank, " values");
  const std::string auto_pad = node.GetString("auto_pad", "NOTSET");
  const bool ceil_mode = node.GetInt("ceil_mode", 0) != 0;
  Shape pads = node.GetInts("pads", Shape(2 * rank, 0));
  if (pads.size() != 2 * rank) return Fail(StatusCode::kInvalidArgument, "pads must have ", 2 * rank, " values");
  g.pad_begin.assign(pads.begin(), pads.begin() + rank);
  g.pad_end.assign(pads.begin() + rank, pads.end());
  g.output.resize(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t extent = (g.kernel[i] - 1) * g.dilations[i] + 1;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      g.output[i] = (input[i] + g.strides[i] - 1) / g.strides[i];
      int64_t total = std::max<int64_t>(0, (g.output[i] - 1) * g.strides[i] + extent - input[i]);
      g.pad_begin[i] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      g.pad_end[i] = total - g.pad_begin[i];
      continue;
    }
    if (auto_pad == "VALID") g.pad_begin[i] = g.pad_end[i] = 0;
    else if (auto_pad != "NOTSET") return Fail(StatusCode::kUnsupported, "auto_pad '", auto_pad, "'");
    const int64_t span = input[i] + g.pad_begin[i] + g.pad_end[i] - extent;
    if (span < 0) return Fail(StatusCode::kInvalidArgument, "window of extent ", extent, " is larger than padded input ", input[i]);
    g.output[i] = (ceil_mode ? (span + g.strides[i] - 1) / g.strides[i] : span / g.strides[i]) + 1;
    // With ceil_mode a window may not start inside the end padding (as in PyTorch and ONNX Runtime).
    if (ceil_mode && (g.output[i] - 1) * g.strides[i] >= input[i] + g.pad_begin[i]) --g.output[i];
  }
  return g;
}

}  // namespace qplay
