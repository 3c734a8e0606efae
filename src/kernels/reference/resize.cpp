// Resize (opset 10+) and Upsample (opset 7-9): nearest and (multi)linear interpolation with
// the ONNX coordinate transformation modes; GridSample (opset 16+), as ONNX Runtime samples.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "kernels/conv_geometry.h"
#include "kernels/registry.h"

namespace qplay {
namespace {

struct ResizeMode {
  bool linear = false;
  std::string coordinates = "half_pixel";
  std::string nearest = "round_prefer_floor";
};

// Maps an output coordinate to the input coordinate it samples.
// `resized` is in_len * scale before flooring, as the ONNX reference uses it.
double SourceCoordinate(const ResizeMode& mode, double out, double scale, int64_t in_len, double resized) {
  const std::string& m = mode.coordinates;
  if (m == "asymmetric") return out / scale;
  if (m == "align_corners") return resized == 1 ? 0 : out * (in_len - 1) / (resized - 1);
  if (m == "pytorch_half_pixel") return resized > 1 ? (out + 0.5) / scale - 0.5 : 0;
  if (m == "half_pixel_symmetric") {  // opset 19: half_pixel, centred when the output length was rounded down
    const double adjustment = std::floor(resized) / resized, center = in_len / 2.0;
    return center * (1 - adjustment) + (out + 0.5) / scale - 0.5;
  }
  return (out + 0.5) / scale - 0.5;  // half_pixel
}

int64_t NearestIndex(const ResizeMode& mode, double x, int64_t len) {
  double r;
  if (mode.nearest == "floor") r = std::floor(x);
  else if (mode.nearest == "ceil") r = std::ceil(x);
  else if (mode.nearest == "round_prefer_ceil") r = std::floor(x + 0.5);
  else r = x == std::floor(x) + 0.5 ? std::floor(x) : std::round(x);  // round_prefer_floor
  return std::clamp<int64_t>(static_cast<int64_t>(r), 0, len - 1);
}

Status Interpolate(KernelContext& ctx, const ResizeMode& mode, std::vector<double> scales, Shape out_shape) {
  const Tensor& x = ctx.in(0);
  const int64_t rank = x.rank();
  // Nearest copies elements of any type (an 8-bit tensor in a quantized model); linear computes in float.
  if (mode.linear ? x.dtype() != DataType::kFloat : ElementSize(x.dtype()) == 0)
    return ctx.Unsupported("element type ", DataTypeName(x.dtype()), mode.linear ? " in linear mode" : "");
  QPLAY_RETURN_IF_ERROR(ctx.CheckOutputSize(x.dtype(), out_shape));
  for (int64_t d = 0; d < rank; ++d)
    if (x.dim(d) == 0 && out_shape[d] != 0) return ctx.Invalid("axis ", d, " is empty; it cannot be resized to ", out_shape[d]);
  Tensor& y = ctx.Output(0, x.dtype(), out_shape);
  std::vector<int64_t> strides(rank, 1);
  for (int64_t d = rank - 1; d > 0; --d) strides[d - 1] = strides[d] * x.dim(d);
  // Per axis and output index: the two source indices and the weight of the second.
  std::vector<std::vector<int64_t>> lo(rank), hi(rank);
  std::vector<std::vector<double>> weight(rank);
  for (int64_t d = 0; d < rank; ++d)
    for (int64_t o = 0; o < out_shape[d]; ++o) {
      const double src = SourceCoordinate(mode, static_cast<double>(o), scales[d], x.dim(d), x.dim(d) * scales[d]);
      if (!mode.linear) {
        lo[d].push_back(NearestIndex(mode, src, x.dim(d)));
        hi[d].push_back(lo[d].back());
        weight[d].push_back(0);
        continue;
      }
      const double clamped = std::clamp(src, 0.0, static_cast<double>(x.dim(d) - 1));
      const int64_t l = static_cast<int64_t>(std::floor(clamped));
      lo[d].push_back(l);
      hi[d].push_back(std::min(l + 1, x.dim(d) - 1));
      weight[d].push_back(clamped - l);
    }
  if (!mode.linear) {
    const size_t element = ElementSize(x.dtype());
    ForEachPosition(out_shape, [&](int64_t i, const std::vector<int64_t>& index) {
      int64_t src = 0;
      for (int64_t d = 0; d < rank; ++d) src += lo[d][index[d]] * strides[d];
      std::memcpy(y.raw() + i * element, x.raw() + src * element, element);
    });
    return Status::Ok();
  }
  const float* px = x.data<float>();
  ForEachPosition(out_shape, [&](int64_t i, const std::vector<int64_t>& index) {
    double acc = 0;
    for (int64_t corner = 0; corner < (int64_t{1} << rank); ++corner) {
      double w = 1;
      int64_t src = 0;
      for (int64_t d = 0; d < rank; ++d) {
        const bool upper = (corner >> d) & 1;
        const double wd = weight[d][index[d]];
        w *= upper ? wd : 1 - wd;
        src += (upper ? hi[d][index[d]] : lo[d][index[d]]) * strides[d];
      }
      if (w != 0) acc += w * px[src];
    }
    y.data<float>()[i] = static_cast<float>(acc);
  });
  return Status::Ok();
}

Result<ResizeMode> ReadMode(const KernelContext& ctx, bool legacy) {
  ResizeMode mode;
  const std::string name = ctx.node.GetString("mode", "nearest");
  if (name == "linear" || name == "bilinear") mode.linear = true;
  else if (name != "nearest") return ctx.Unsupported("mode '", name, "'");
  if (legacy) {  // Upsample and Resize-10 sample asymmetrically and round nearest down
    mode.coordinates = "asymmetric";
    mode.nearest = "floor";
  } else {
    mode.coordinates = ctx.node.GetString("coordinate_transformation_mode", "half_pixel");
    mode.nearest = ctx.node.GetString("nearest_mode", "round_prefer_floor");
  }
  if (mode.coordinates == "tf_crop_and_resize" || mode.coordinates == "tf_half_pixel_for_nn")
    return ctx.Unsupported("coordinate_transformation_mode '", mode.coordinates, "'");
  if (ctx.node.GetInt("antialias", 0) != 0) return ctx.Unsupported("antialias=1");
  return mode;
}

Status Resize(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  auto mode = ReadMode(ctx, ctx.opset < 11);
  if (!mode.ok()) return mode.status();
  if (ctx.node.Has("axes")) return ctx.Unsupported("the axes attribute");
  const size_t scales_input = ctx.opset < 11 ? 1 : 2;
  std::vector<double> scales;
  Shape out_shape(x.rank());
  if (ctx.has(scales_input) && ctx.in(scales_input).size() > 0) {
    for (int64_t d = 0; d < ctx.in(scales_input).size(); ++d) scales.push_back(ctx.in(scales_input).GetAsDouble(d));
    if (static_cast<int64_t>(scales.size()) != x.rank()) return ctx.Invalid("scales has ", scales.size(), " values for rank ", x.rank());
    for (int64_t d = 0; d < x.rank(); ++d) out_shape[d] = static_cast<int64_t>(std::floor(x.dim(d) * scales[d]));
  } else if (ctx.has(3)) {
    out_shape = ctx.in(3).ToInt64Vector();
    if (static_cast<int64_t>(out_shape.size()) != x.rank()) return ctx.Invalid("sizes has ", out_shape.size(), " values for rank ", x.rank());
    if (ctx.node.GetString("keep_aspect_ratio_policy", "stretch") != "stretch") return ctx.Unsupported("keep_aspect_ratio_policy");
    for (int64_t d = 0; d < x.rank(); ++d) scales.push_back(static_cast<double>(out_shape[d]) / x.dim(d));
  } else {
    return ctx.Invalid("needs scales or sizes");
  }
  return Interpolate(ctx, *mode, scales, out_shape);
}

Status Upsample(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  auto mode = ReadMode(ctx, true);
  if (!mode.ok()) return mode.status();
  std::vector<double> scales;
  if (ctx.has(1)) for (int64_t d = 0; d < ctx.in(1).size(); ++d) scales.push_back(ctx.in(1).GetAsDouble(d));
  else for (float s : ctx.node.GetFloats("scales")) scales.push_back(s);
  if (static_cast<int64_t>(scales.size()) != x.rank()) return ctx.Invalid("scales has ", scales.size(), " values for rank ", x.rank());
  Shape out_shape(x.rank());
  for (int64_t d = 0; d < x.rank(); ++d) out_shape[d] = static_cast<int64_t>(std::floor(x.dim(d) * scales[d]));
  return Interpolate(ctx, *mode, scales, out_shape);
}

// x folded back into [low, high] by reflecting at each end, as many times as needed.
double Reflect(double x, double low, double high) {
  const double range = high - low;
  if (range <= 0) return low;
  if (x >= low && x <= high) return x;
  const double beyond = x < low ? low - x : x - high;
  const double folds = std::floor(beyond / range), rest = beyond - folds * range;
  const bool even = std::fmod(folds, 2.0) == 0;
  return x < low ? (even ? low + rest : high - rest) : (even ? high - rest : low + rest);
}

// One channel's map sampled at pixel coordinates, with the padding mode for pixels outside.
struct Sampler {
  const float* map;
  int64_t height, width;
  std::string padding;
  double bounds[4];  // x low, y low, x high, y high: where reflection folds

  double Pixel(int64_t y, int64_t x) const {
    if (padding == "zeros") return y >= 0 && y < height && x >= 0 && x < width ? map[y * width + x] : 0.0;
    if (padding == "border") {
      y = std::clamp<int64_t>(y, 0, height - 1);
      x = std::clamp<int64_t>(x, 0, width - 1);
    } else {
      x = static_cast<int64_t>(Reflect(static_cast<double>(x), bounds[0], bounds[2]));
      y = static_cast<int64_t>(Reflect(static_cast<double>(y), bounds[1], bounds[3]));
    }
    return map[y * width + x];
  }

  // Coordinate `v` along an axis of `size` pixels (axis 0: x, 1: y), moved to where converting it
  // to an integer is defined, sampling the same pixels: more than 4 pixels out, zeros and border
  // padding read what they read at 4 pixels out (beyond the widest kernel, cubic's 2); reflection
  // repeats every twice its range. NaN and infinities sample outside the map.
  double WithinReach(double v, int64_t size, int axis) const {
    const double low = bounds[axis], high = bounds[axis + 2];
    if (padding == "reflection") {
      if (!std::isfinite(v)) return low;
      const double period = 2 * (high - low);
      if (period > 0 && std::abs(v) > 1e6) v = low + std::fmod(std::fmod(v - low, period) + period, period);
      return v;
    }
    return std::isnan(v) ? -4.0 : std::clamp(v, -4.0, static_cast<double>(size) + 3);
  }
};

// Cubic convolution weights (A = -0.75) for a sample at distance t past its second neighbour.
void CubicWeights(double t, double w[4]) {
  constexpr double A = -0.75;
  auto near = [](double d) { return ((A + 2) * d - (A + 3)) * d * d + 1; };
  auto far = [](double d) { return ((A * d - 5 * A) * d + 8 * A) * d - 4 * A; };
  w[0] = far(t + 1);
  w[1] = near(t);
  w[2] = near(1 - t);
  w[3] = far(2 - t);
}

// Each output pixel samples X where the grid points ((-1, -1) is the top-left corner).
Status GridSample(KernelContext& ctx) {
  const Tensor &x = ctx.in(0), &grid = ctx.in(1);
  if (x.rank() != 4) return ctx.Unsupported("input of rank ", x.rank(), "; qplay samples 2-D maps ([N, C, H, W])");
  if (x.dtype() != DataType::kFloat) return ctx.Unsupported("element type ", DataTypeName(x.dtype()));
  if (grid.rank() != 4 || grid.dim(0) != x.dim(0) || grid.dim(3) != 2)
    return ctx.Invalid("grid must be [", x.dim(0), ", H, W, 2], got ", ShapeToString(grid.shape()));
  const int64_t n = x.dim(0), channels = x.dim(1), height = x.dim(2), width = x.dim(3), out_h = grid.dim(1), out_w = grid.dim(2);
  const bool align = ctx.node.GetInt("align_corners", 0) != 0;
  const std::string mode = ctx.node.GetString("mode", ctx.opset >= 20 ? "linear" : "bilinear");
  const bool nearest = mode == "nearest", cubic = mode == "bicubic" || mode == "cubic";
  Sampler sampler{nullptr, height, width, ctx.node.GetString("padding_mode", "zeros"), {}};
  if (align) sampler.bounds[0] = 0, sampler.bounds[1] = 0, sampler.bounds[2] = width - 1.0, sampler.bounds[3] = height - 1.0;
  else sampler.bounds[0] = -0.5, sampler.bounds[1] = -0.5, sampler.bounds[2] = width - 0.5, sampler.bounds[3] = height - 0.5;
  // A normalized coordinate in [-1, 1] as a pixel position.
  auto denormalize = [&](double v, int64_t length) { return align ? (v + 1) / 2 * (length - 1) : ((v + 1) * length - 1) / 2; };
  Tensor& y = ctx.Output(0, x.dtype(), {n, channels, out_h, out_w});
  if (height == 0 || width == 0) return Status::Ok();
  for (int64_t b = 0; b < n; ++b)
    for (int64_t p = 0; p < out_h * out_w; ++p) {
      double gx = sampler.WithinReach(denormalize(grid.GetAsDouble((b * out_h * out_w + p) * 2), width), width, 0);
      double gy = sampler.WithinReach(denormalize(grid.GetAsDouble((b * out_h * out_w + p) * 2 + 1), height), height, 1);
      // Padding applies to each pixel read, not to the sampling point.
      if (nearest) gx = std::nearbyint(gx), gy = std::nearbyint(gy);
      for (int64_t c = 0; c < channels; ++c) {
        sampler.map = x.data<float>() + (b * channels + c) * height * width;
        double value;
        if (nearest) {
          value = sampler.Pixel(static_cast<int64_t>(gy), static_cast<int64_t>(gx));
        } else if (!cubic) {
          const double x1 = std::floor(gx), y1 = std::floor(gy), dx = gx - x1, dy = gy - y1;
          const auto xi = static_cast<int64_t>(x1), yi = static_cast<int64_t>(y1);
          value = (1 - dy) * ((1 - dx) * sampler.Pixel(yi, xi) + dx * sampler.Pixel(yi, xi + 1)) +
                  dy * ((1 - dx) * sampler.Pixel(yi + 1, xi) + dx * sampler.Pixel(yi + 1, xi + 1));
        } else {
          const double x0 = std::floor(gx) - 1, y0 = std::floor(gy) - 1;
          double wx[4], wy[4];
          CubicWeights(gx - x0 - 1, wx);
          CubicWeights(gy - y0 - 1, wy);
          value = 0;
          for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 4; ++j)
              value += wy[i] * wx[j] * sampler.Pixel(static_cast<int64_t>(y0) + i, static_cast<int64_t>(x0) + j);
        }
        y.data<float>()[(b * channels + c) * out_h * out_w + p] = static_cast<float>(value);
      }
    }
  return Status::Ok();
}

}  // namespace

void RegisterResizeKernels(KernelRegistry& r) {
  r.Add("Resize", Resize);
  r.Add("Upsample", Upsample);
  r.Add("GridSample", GridSample);
}

}  // namespace qplay
