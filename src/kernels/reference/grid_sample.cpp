// GridSample (opset 16+), as ONNX Runtime samples: nearest, bilinear and bicubic, with zeros,
// border or reflection padding.
#include <algorithm>
#include <cmath>
#include <string>

#include "kernels/interpolation.h"
#include "kernels/registry.h"

namespace qplay {
namespace {

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
  for (int i = 0; i < 4; ++i) w[i] = CubicFilter(t + 1 - i, -0.75);
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

void RegisterGridSampleKernels(KernelRegistry& r) { r.Add("GridSample", GridSample); }

}  // namespace qplay
