// Resize (opset 10+) and Upsample (opset 7-9), as ONNX Runtime computes them: nearest, linear and
// cubic interpolation, every coordinate transformation mode, antialiasing, exclude_outside and
// tf_crop_and_resize's extrapolation. Interpolation is separable: each resized axis is resampled
// in turn, innermost first, from a table of the input elements each output index reads along
// that axis and their weights.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "kernels/axis_layout.h"
#include "kernels/interpolation.h"
#include "kernels/registry.h"
#include "ops/resize.h"
#include "ops/resize_geometry.h"

namespace qplay {
namespace {

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

// What each output index reads along one axis: `width` input indices and their weights.
struct AxisTaps {
  int64_t width = 1;
  std::vector<int64_t> index;   // out_len x width, each within the input
  std::vector<float> weight;    // out_len x width
  std::vector<uint8_t> outside;  // per output index: it samples outside the input (tf_crop_and_resize)

  // True when every output index reads its own input element: nothing to resample.
  bool Identity(int64_t in_len) const {
    if (width != 1 || static_cast<int64_t>(index.size()) != in_len) return false;
    if (std::find(outside.begin(), outside.end(), 1) != outside.end()) return false;
    for (int64_t i = 0; i < in_len; ++i)
      if (index[i] != i || weight[i] != 1) return false;
    return true;
  }
};

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

// Output rows along `axis` from the input rows the taps name: copied (nearest, any element type)
// or weighted sums (float).
void ResampleAxis(const Tensor& in, int64_t axis, const AxisTaps& taps, Tensor& out) {
  const auto [outer, in_len, inner] = LayoutAround(in.shape(), axis);
  const int64_t out_len = out.dim(axis);
  const size_t row_bytes = static_cast<size_t>(inner) * ElementSize(in.dtype());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < out_len; ++j) {
      const int64_t* index = &taps.index[j * taps.width];
      const float* weight = &taps.weight[j * taps.width];
      if (in.dtype() != DataType::kFloat) {
        std::memcpy(out.raw() + (o * out_len + j) * row_bytes, in.raw() + (o * in_len + index[0]) * row_bytes, row_bytes);
        continue;
      }
      float* dst = out.data<float>() + (o * out_len + j) * inner;
      std::fill(dst, dst + inner, 0.0f);
      for (int64_t k = 0; k < taps.width; ++k) {
        if (weight[k] == 0) continue;
        const float* src = in.data<float>() + (o * in_len + index[k]) * inner;
        for (int64_t i = 0; i < inner; ++i) dst[i] += weight[k] * src[i];
      }
    }
}

// tf_crop_and_resize: output rows that sample outside the input take the extrapolation value.
void Extrapolate(const ResizeMode& mode, int64_t axis, const AxisTaps& taps, Tensor& y) {
  if (std::find(taps.outside.begin(), taps.outside.end(), 1) == taps.outside.end()) return;
  Tensor value(y.dtype(), {});
  value.SetFromDouble(0, mode.extrapolation_value);
  const size_t element = ElementSize(y.dtype());
  const auto [outer, len, inner] = LayoutAround(y.shape(), axis);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < len; ++j)
      if (taps.outside[j])
        for (int64_t i = 0; i < inner; ++i) std::memcpy(y.raw() + ((o * len + j) * inner + i) * element, value.raw(), element);
}

Status Resample(KernelContext& ctx, const ResizeMode& mode, const ResizeGeometry& geometry) {
  const Tensor& x = ctx.in(0);
  const int64_t rank = x.rank();
  // Nearest copies elements of any type (an 8-bit tensor in a quantized model); the others compute in float.
  const bool copies = mode.interpolation == Interpolation::kNearest;
  if (copies ? ElementSize(x.dtype()) == 0 : x.dtype() != DataType::kFloat)
    return ctx.Unsupported("element type ", DataTypeName(x.dtype()), copies ? "" : " in linear or cubic mode");
  QPLAY_RETURN_IF_ERROR(ctx.CheckOutputSize(x.dtype(), geometry.output));
  for (int64_t d = 0; d < rank; ++d)
    if (x.dim(d) == 0 && geometry.output[d] != 0)
      return ctx.Invalid("axis ", d, " is empty; it cannot be resized to ", geometry.output[d]);
  std::vector<AxisTaps> taps(rank);
  for (int64_t d = 0; d < rank; ++d)
    if (x.dim(d) > 0 && geometry.output[d] > 0)
      taps[d] = ComputeTaps(mode, {x.dim(d), geometry.output[d], geometry.scales[d], geometry.roi_start[d], geometry.roi_end[d]});
  std::vector<int64_t> resampled;
  for (int64_t d = rank - 1; d >= 0; --d)
    if (x.dim(d) > 0 && !taps[d].Identity(x.dim(d))) resampled.push_back(d);
  if (resampled.empty() || x.size() == 0) {
    Tensor& y = ctx.Output(0, x.dtype(), geometry.output);
    if (x.size() > 0) std::memcpy(y.raw(), x.raw(), x.nbytes());
    return Status::Ok();
  }
  Tensor current = x;
  for (int64_t d : resampled) {
    Shape shape = current.shape();
    shape[d] = geometry.output[d];
    auto next = Tensor::Allocate(x.dtype(), shape, "an intermediate of the resize");
    if (!next.ok()) return next.status();
    ResampleAxis(current, d, taps[d], *next);
    current = std::move(*next);
  }
  for (int64_t d : resampled) Extrapolate(mode, d, taps[d], current);
  ctx.SetOutput(0, std::move(current));
  return Status::Ok();
}

Status Resize(KernelContext& ctx) {
  auto mode = ReadMode(ctx);
  if (!mode.ok()) return mode.status();
  std::vector<const Tensor*> inputs;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) inputs.push_back(ctx.has(i) ? &ctx.in(i) : nullptr);
  auto geometry = ComputeResizeGeometry(ctx.node, ctx.in(0).shape(), PickResizeInputs(ctx.node, ctx.opset, inputs));
  if (!geometry.ok()) return geometry.status();
  return Resample(ctx, *mode, *geometry);
}

}  // namespace

void RegisterResizeKernels(KernelRegistry& r) {
  r.Add("Resize", Resize);
  r.Add("Upsample", Resize);
}

}  // namespace qplay
