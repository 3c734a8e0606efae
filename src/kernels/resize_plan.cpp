#include "kernels/resize_plan.h"

#include <algorithm>
#include <cmath>

#include "kernels/interpolation.h"
#include "ops/resize.h"
#include "ops/resize_geometry.h"

namespace qplay {
namespace {

Result<ResizeMode> ReadMode(const KernelContext& ctx) {
  ResizeMode mode;
  const std::string name = ctx.node.GetString("mode", "nearest");
  if (name == "linear" || name == "bilinear") mode.interpolation = Interpolation::kLinear;
  else if (name == "cubic") mode.interpolation = Interpolation::kCubic;
  else if (name != "nearest") return ctx.Unsupported("mode '", name, "'");
  if (IsOp(ctx.node, ops::kUpsample) || ctx.opset < 11) {  // Upsample and Resize-10 sample asymmetrically and round nearest down
    mode.coordinates = "asymmetric";
    mode.nearest = "floor";
    return mode;
  }
  mode.coordinates = ctx.node.GetString("coordinate_transformation_mode", "half_pixel");
  mode.nearest = ctx.node.GetString("nearest_mode", "round_prefer_floor");
  mode.cubic_coeff_a = ctx.node.GetFloat("cubic_coeff_a", -0.75f);
  mode.exclude_outside = ctx.node.GetInt("exclude_outside", 0) != 0;
  mode.antialias = ctx.node.GetInt("antialias", 0) != 0 && mode.interpolation != Interpolation::kNearest;
  mode.extrapolation_value = ctx.node.GetFloat("extrapolation_value", 0);
  return mode;
}

// One axis: its lengths, scale and region of interest.
struct Axis {
  int64_t in_len, out_len;
  double scale, roi_start, roi_end;
};

// The input coordinate that output index `out` samples along `axis`. Lengths "resized" are the
// input's times the scale before rounding, as the ONNX reference computes them.
double SourceCoordinate(const ResizeMode& mode, const Axis& axis, double out) {
  const std::string& m = mode.coordinates;
  const double resized = static_cast<double>(axis.in_len) * axis.scale, last = static_cast<double>(axis.in_len - 1);
  if (m == "asymmetric") return out / axis.scale;
  if (m == "align_corners") return resized == 1 ? 0 : out * last / (resized - 1);
  if (m == "pytorch_half_pixel") return resized > 1 ? (out + 0.5) / axis.scale - 0.5 : 0;
  if (m == "tf_half_pixel_for_nn") return (out + 0.5) / axis.scale;
  if (m == "tf_crop_and_resize")
    return axis.out_len > 1 ? axis.roi_start * last + out * (axis.roi_end - axis.roi_start) * last / (axis.out_len - 1)
                            : 0.5 * (axis.roi_start + axis.roi_end) * last;
  if (m == "half_pixel_symmetric") {  // opset 19: half_pixel, centred when the output length was rounded down
    const double adjustment = axis.out_len / resized, center = axis.in_len / 2.0;
    return center * (1 - adjustment) + (out + 0.5) / axis.scale - 0.5;
  }
  return (out + 0.5) / axis.scale - 0.5;  // half_pixel
}

int64_t NearestIndex(const ResizeMode& mode, double x, int64_t len) {
  double r;
  if (mode.nearest == "floor") r = std::floor(x);
  else if (mode.nearest == "ceil") r = std::ceil(x);
  else if (mode.nearest == "round_prefer_ceil") r = std::floor(x + 0.5);
  else r = x == std::floor(x) + 0.5 ? std::floor(x) : std::round(x);  // round_prefer_floor
  return std::clamp<int64_t>(static_cast<int64_t>(std::clamp(r, -1.0, static_cast<double>(len))), 0, len - 1);
}

// Input indices [first, last) around `x` with weights filter((i - x) * shrink): with antialiasing,
// the window ONNX Runtime's uses; otherwise the filter's own support.
// Indices outside the input are dropped (exclude_outside) or read the nearest edge. `weights`
// holds this output index's weights before normalizing (a buffer reused across indices).
void AddTaps(const ResizeMode& mode, int64_t in_len, double x, int64_t first, int64_t last, double shrink,
             std::vector<double>& weights, AxisTaps& taps) {
  const size_t start = taps.weight.size();
  weights.clear();
  double total = 0;
  for (int64_t i = first; i < last; ++i) {
    if (mode.exclude_outside && (i < 0 || i >= in_len)) continue;
    const double d = (static_cast<double>(i) - x) * shrink;
    weights.push_back(mode.interpolation == Interpolation::kCubic ? CubicFilter(d, mode.cubic_coeff_a) : LinearFilter(d));
    taps.index.push_back(std::clamp<int64_t>(i, 0, in_len - 1));
    total += weights.back();
  }
  const bool normalize = (mode.exclude_outside || mode.antialias) && total != 0;
  for (double w : weights) taps.weight.push_back(static_cast<float>(normalize ? w / total : w));
  taps.index.resize(start + taps.width, 0);
  taps.weight.resize(start + taps.width, 0.0f);
}

// An axis of at least one output element has a scale of at least 1 / (2 * in_len), so an
// antialiasing window spans at most a few times the input.
AxisTaps ComputeTaps(const ResizeMode& mode, const Axis& axis) {
  AxisTaps taps;
  const bool cubic = mode.interpolation == Interpolation::kCubic;
  // Antialiasing widens the filter by 1 / scale when shrinking.
  const double support = (cubic ? 2.0 : 1.0) / (mode.antialias ? std::min(axis.scale, 1.0) : 1.0);
  if (mode.interpolation != Interpolation::kNearest) taps.width = mode.antialias ? 2 * static_cast<int64_t>(std::ceil(support)) + 1 : cubic ? 4 : 2;
  const double last = static_cast<double>(axis.in_len - 1);
  const bool crops = mode.coordinates == "tf_crop_and_resize";
  std::vector<double> weights;
  for (int64_t o = 0; o < axis.out_len; ++o) {
    double x = SourceCoordinate(mode, axis, static_cast<double>(o));
    taps.outside.push_back(crops && !(x >= 0 && x <= last));
    if (!std::isfinite(x)) x = 0;
    // Beyond the filter's reach of the input every tap reads an edge, as it does here.
    if (mode.interpolation != Interpolation::kNearest) x = std::clamp(x, -support - 2, last + support + 2);
    if (mode.interpolation == Interpolation::kNearest) {
      taps.index.push_back(NearestIndex(mode, x, axis.in_len));
      taps.weight.push_back(1);
    } else if (mode.antialias) {
      const double center = x + 0.5;
      AddTaps(mode, axis.in_len, x, static_cast<int64_t>(std::floor(center - support + 0.5)),
              static_cast<int64_t>(std::floor(center + support + 0.5)), std::min(axis.scale, 1.0), weights, taps);
    } else if (cubic) {
      const auto base = static_cast<int64_t>(std::floor(x));
      AddTaps(mode, axis.in_len, x, base - 1, base + 3, 1.0, weights, taps);
    } else {
      x = std::clamp(x, 0.0, last);
      const auto base = static_cast<int64_t>(std::floor(x));
      AddTaps(mode, axis.in_len, x, base, base + 2, 1.0, weights, taps);
    }
  }
  return taps;
}

}  // namespace

Result<ResizePlan> PlanResize(KernelContext& ctx) {
  auto mode = ReadMode(ctx);
  if (!mode.ok()) return mode.status();
  std::vector<const Tensor*> inputs;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) inputs.push_back(ctx.has(i) ? &ctx.in(i) : nullptr);
  const Tensor& x = ctx.in(0);
  auto geometry = ComputeResizeGeometry(ctx.node, x.shape(), PickResizeInputs(ctx.node, ctx.opset, inputs));
  if (!geometry.ok()) return geometry.status();
  // Nearest copies elements of any type (an 8-bit tensor in a quantized model); the others compute in float.
  const bool copies = mode->interpolation == Interpolation::kNearest;
  if (copies ? ElementSize(x.dtype()) == 0 : x.dtype() != DataType::kFloat)
    return ctx.Unsupported("element type ", DataTypeName(x.dtype()), copies ? "" : " in linear or cubic mode");
  QPLAY_RETURN_IF_ERROR(ctx.CheckOutputSize(x.dtype(), geometry->output));
  const int64_t rank = x.rank();
  for (int64_t d = 0; d < rank; ++d)
    if (x.dim(d) == 0 && geometry->output[d] != 0)
      return ctx.Invalid("axis ", d, " is empty; it cannot be resized to ", geometry->output[d]);
  ResizePlan plan{*mode, geometry->output, std::vector<AxisTaps>(rank), {}};
  // An empty output reads nothing, however long its other axes (an axis of 10^10 would take
  // minutes to plan).
  if (std::find(plan.output.begin(), plan.output.end(), 0) != plan.output.end()) return plan;
  for (int64_t d = 0; d < rank; ++d)
    if (x.dim(d) > 0 && plan.output[d] > 0)
      plan.taps[d] = ComputeTaps(plan.mode, {x.dim(d), plan.output[d], geometry->scales[d], geometry->roi_start[d], geometry->roi_end[d]});
  for (int64_t d = rank - 1; d >= 0; --d)
    if (x.dim(d) > 0 && !plan.taps[d].Identity(x.dim(d))) plan.resampled.push_back(d);
  return plan;
}

}  // namespace qplay
