#include "ops/window.h"

#include <algorithm>

#include "ops/conv.h"

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

std::vector<ValueInfo> WindowedInfer(InferContext& ctx, DataType dtype, const ValueInfo* weight) {
  const Node& node = ctx.node;
  const auto& xs = ctx.in(0).shape;
  const int64_t rank = ctx.in(0).rank();
  const bool transposed = IsOp(node, ops::kConvTranspose);
  std::vector<ValueInfo> unknown{ValueInfo::Typed(dtype), ValueInfo::Typed(DataType::kInt64)};
  if (!xs || rank < 3 || (weight && weight->rank() != rank)) return unknown;
  const Dims& ws = weight ? *weight->shape : *xs;
  Dims out{(*xs)[0], weight ? ws[0] : (*xs)[1]};
  if (transposed) out[1] = ws[1].known() ? DimArithmetic(DimOp::kMul, ws[1], Dim::Known(node.GetInt("group", 1))) : Dim{};
  Shape spatial, kernel;
  bool known = true;
  for (int64_t d = 2; d < rank; ++d) {
    known = known && (*xs)[d].known() && (!weight || ws[d].known());
    spatial.push_back((*xs)[d].value.value_or(0));
    if (weight) kernel.push_back(ws[d].value.value_or(0));
  }
  if (known && !transposed) {
    auto window = ComputeWindow(node, spatial, kernel);
    if (window.ok())
      for (int64_t v : window->output) out.push_back(Dim::Known(v));
    else known = false;
  } else if (known) {
    const size_t n = spatial.size();
    const Shape strides = node.GetInts("strides", Shape(n, 1));
    const Shape dil = node.GetInts("dilations", Shape(n, 1));
    const Shape out_pad = node.GetInts("output_padding", Shape(n, 0));
    const Shape pads = node.GetInts("pads", Shape(2 * n, 0));
    const Shape requested = node.GetInts("output_shape");
    const std::string auto_pad = node.GetString("auto_pad", "NOTSET");
    if (strides.size() != n || dil.size() != n || out_pad.size() != n || pads.size() != 2 * n ||
        (!requested.empty() && requested.size() < n))
      return unknown;
    for (size_t d = 0; d < n; ++d) {
      if (!requested.empty()) out.push_back(Dim::Known(requested[requested.size() - n + d]));
      else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") out.push_back(Dim::Known(spatial[d] * strides[d]));
      else out.push_back(Dim::Known(strides[d] * (spatial[d] - 1) + out_pad[d] + (kernel[d] - 1) * dil[d] + 1 - pads[d] - pads[d + n]));
    }
  }
  if (!known) out.resize(rank, Dim{});
  return {ValueInfo::Typed(dtype, out), ValueInfo::Typed(DataType::kInt64, out)};
}

OpSchema& WindowAttrs(OpSchema& s, bool dilations) {
  s.Attr("auto_pad", AttrType::kString, Attribute::String("NOTSET"), OneOfStrings({"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"}))
      .OptionalAttr("kernel_shape", AttrType::kInts, AtLeast(1))
      .OptionalAttr("pads", AttrType::kInts, AtLeast(0))
      .OptionalAttr("strides", AttrType::kInts, AtLeast(1));
  if (dilations) s.OptionalAttr("dilations", AttrType::kInts, AtLeast(1));
  return s;
}

}  // namespace qplay
