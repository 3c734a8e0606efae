#include "train/layers.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "data/labels.h"
#include "kernels/conv_geometry.h"
#include "kernels/simd/f32_gemm.h"

namespace qplay::train {
namespace {

struct Conv2d {
  int64_t n, c, h, w, m, oh, ow, kh, kw, group, cpg, mpg;
  WindowGeometry g;
};

Result<Conv2d> PlanConv2d(const Node& node, const Tensor& x, const Tensor& w) {
  if (x.rank() != 4 || w.rank() != 4)
    return Fail(StatusCode::kUnsupported, "node '", node.name, "' (", node.op_type, "): training supports 2-D convolutions, got input ",
                ShapeToString(x.shape()));
  auto g = ComputeWindow(node, {x.dim(2), x.dim(3)}, {w.dim(2), w.dim(3)});
  if (!g.ok()) return g.status();
  Conv2d p{x.dim(0), x.dim(1), x.dim(2), x.dim(3), w.dim(0), g->output[0], g->output[1], w.dim(2), w.dim(3), node.GetInt("group", 1), 0, 0, *g};
  p.cpg = p.c / p.group;
  p.mpg = p.m / p.group;
  if (p.c % p.group || p.m % p.group || w.dim(1) != p.cpg)
    return Fail(StatusCode::kInvalidArgument, "node '", node.name, "' (Conv): weight ", ShapeToString(w.shape()), " does not match ", p.c,
                " input channels in ", p.group, " groups");
  return p;
}

// Calls f(row kk = (channel, ky, kx) of the patch matrix, output position, input index or -1
// in the padding) for every sample of image n's group grp, the im2col view of the convolution.
template <typename F>
void ForEachPatchSample(const Conv2d& p, int64_t n, int64_t grp, F f) {
  for (int64_t c = 0; c < p.cpg; ++c) {
    const int64_t plane = (n * p.c + grp * p.cpg + c) * p.h;
    for (int64_t ky = 0; ky < p.kh; ++ky)
      for (int64_t kx = 0; kx < p.kw; ++kx) {
        const int64_t kk = (c * p.kh + ky) * p.kw + kx;
        for (int64_t oy = 0, pos = 0; oy < p.oh; ++oy) {
          const int64_t iy = oy * p.g.strides[0] + ky * p.g.dilations[0] - p.g.pad_begin[0];
          for (int64_t ox = 0; ox < p.ow; ++ox, ++pos) {
            const int64_t ix = ox * p.g.strides[1] + kx * p.g.dilations[1] - p.g.pad_begin[1];
            f(kk, pos, iy >= 0 && iy < p.h && ix >= 0 && ix < p.w ? (plane + iy) * p.w + ix : -1);
          }
        }
      }
  }
}

}  // namespace

// Per image and group, with the patches as a matrix (rows: channel and tap, columns: output
// positions): dW += dY x patchesᵀ and d(patches) = Wᵀ x dY, scattered back into dX, both on the
// SIMD float GEMM.
Result<ConvGrads> ConvBackward(const Node& node, const Tensor& x, const Tensor& w, bool has_bias, const Tensor& dy) {
  auto planned = PlanConv2d(node, x, w);
  if (!planned.ok()) return planned.status();
  const Conv2d& p = *planned;
  const int64_t k = p.cpg * p.kh * p.kw, positions = p.oh * p.ow;
  ConvGrads g{Tensor(DataType::kFloat, x.shape()), Tensor(DataType::kFloat, w.shape()), Tensor()};
  const float *xv = x.data<float>(), *wv = w.data<float>();
  float *dx = g.dx.data<float>(), *dw = g.dw.data<float>();
  std::vector<float> patches(static_cast<size_t>(k * positions)), dpatches(patches.size()), dw_part(static_cast<size_t>(p.mpg * k));
  std::vector<std::vector<float>> transposed(static_cast<size_t>(p.group), std::vector<float>(static_cast<size_t>(k * p.mpg)));
  for (int64_t grp = 0; grp < p.group; ++grp)  // Wᵀ per group: [k, mpg]
    for (int64_t m = 0; m < p.mpg; ++m)
      for (int64_t kk = 0; kk < k; ++kk) transposed[grp][kk * p.mpg + m] = wv[(grp * p.mpg + m) * k + kk];
  for (int64_t n = 0; n < p.n; ++n)
    for (int64_t grp = 0; grp < p.group; ++grp) {
      ForEachPatchSample(p, n, grp, [&](int64_t kk, int64_t pos, int64_t xi) { patches[kk * positions + pos] = xi < 0 ? 0.0f : xv[xi]; });
      const float* dy_g = dy.data<float>() + (n * p.m + grp * p.mpg) * positions;
      f32_gemm_4x8__wasmsimd(p.mpg, dy_g, positions, PackF32B(patches.data(), positions, k, 1, positions), dw_part.data(), k, {});
      float* dw_g = dw + grp * p.mpg * k;
      for (size_t i = 0; i < dw_part.size(); ++i) dw_g[i] += dw_part[i];
      f32_gemm_4x8__wasmsimd(k, transposed[grp].data(), p.mpg, PackF32B(dy_g, p.mpg, positions, positions, 1), dpatches.data(), positions,
                             {});
      ForEachPatchSample(p, n, grp, [&](int64_t kk, int64_t pos, int64_t xi) {
        if (xi >= 0) dx[xi] += dpatches[kk * positions + pos];
      });
    }
  if (has_bias) {
    g.db = Tensor(DataType::kFloat, {p.m});
    for (int64_t i = 0; i < dy.size(); ++i) g.db.data<float>()[(i / positions) % p.m] += dy.data<float>()[i];
  }
  return g;
}

Result<Tensor> GemmForward(const Node& node, const Tensor& x, const Tensor& w, const Tensor& b) {
  const bool tb = node.GetInt("transB", 0) != 0;
  if (x.rank() != 2 || w.rank() != 2 || node.GetInt("transA", 0) || node.GetFloat("alpha", 1) != 1 || node.GetFloat("beta", 1) != 1)
    return Fail(StatusCode::kUnsupported, "node '", node.name, "' (Gemm): training supports 2-D Gemm without transA, alpha or beta");
  const int64_t m = x.dim(0), k = x.dim(1), n = tb ? w.dim(0) : w.dim(1);
  if ((tb ? w.dim(1) : w.dim(0)) != k || (!b.empty() && b.size() != n))
    return Fail(StatusCode::kInvalidArgument, "node '", node.name, "' (Gemm): shapes ", ShapeToString(x.shape()), " and ",
                ShapeToString(w.shape()), " disagree");
  Tensor y(DataType::kFloat, {m, n});
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float acc = b.empty() ? 0.0f : b.data<float>()[j];
      for (int64_t kk = 0; kk < k; ++kk) acc += x.data<float>()[i * k + kk] * w.data<float>()[tb ? j * k + kk : kk * n + j];
      y.data<float>()[i * n + j] = acc;
    }
  return y;
}

GemmGrads GemmBackward(const Node& node, const Tensor& x, const Tensor& w, bool has_bias, const Tensor& dy) {
  const bool tb = node.GetInt("transB", 0) != 0;
  const int64_t m = x.dim(0), k = x.dim(1), n = dy.dim(1);
  GemmGrads g{Tensor(DataType::kFloat, x.shape()), Tensor(DataType::kFloat, w.shape()), has_bias ? Tensor(DataType::kFloat, {n}) : Tensor()};
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      const float d = dy.data<float>()[i * n + j];
      for (int64_t kk = 0; kk < k; ++kk) {
        const int64_t wi = tb ? j * k + kk : kk * n + j;
        g.dx.data<float>()[i * k + kk] += d * w.data<float>()[wi];
        g.dw.data<float>()[wi] += d * x.data<float>()[i * k + kk];
      }
      if (has_bias) g.db.data<float>()[j] += d;
    }
  return g;
}

Result<Tensor> MaxPoolForward(const Node& node, const Tensor& x, std::vector<int64_t>& argmax) {
  if (x.rank() != 4) return Fail(StatusCode::kUnsupported, "node '", node.name, "' (MaxPool): training supports 2-D pooling");
  const auto kernel = node.GetInts("kernel_shape");
  if (kernel.size() != 2) return Fail(StatusCode::kInvalidArgument, "node '", node.name, "' (MaxPool): kernel_shape must have 2 values");
  auto g = ComputeWindow(node, {x.dim(2), x.dim(3)}, {kernel[0], kernel[1]});
  if (!g.ok()) return g.status();
  const int64_t planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3), oh = g->output[0], ow = g->output[1];
  Tensor y(DataType::kFloat, {x.dim(0), x.dim(1), oh, ow});
  argmax.assign(static_cast<size_t>(y.size()), -1);
  for (int64_t pl = 0; pl < planes; ++pl)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        float best = -std::numeric_limits<float>::infinity();
        int64_t at = -1;
        for (int64_t ky = 0; ky < g->kernel[0]; ++ky)
          for (int64_t kx = 0; kx < g->kernel[1]; ++kx) {
            const int64_t iy = oy * g->strides[0] + ky * g->dilations[0] - g->pad_begin[0];
            const int64_t ix = ox * g->strides[1] + kx * g->dilations[1] - g->pad_begin[1];
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            const int64_t i = (pl * h + iy) * w + ix;
            if (x.data<float>()[i] > best) best = x.data<float>()[i], at = i;
          }
        const int64_t o = (pl * oh + oy) * ow + ox;
        y.data<float>()[o] = best;
        argmax[o] = at;
      }
  return y;
}

Tensor MaxPoolBackward(const Tensor& x, const std::vector<int64_t>& argmax, const Tensor& dy) {
  Tensor dx(DataType::kFloat, x.shape());
  for (int64_t o = 0; o < dy.size(); ++o)
    if (argmax[o] >= 0) dx.data<float>()[argmax[o]] += dy.data<float>()[o];
  return dx;
}

Result<Tensor> AveragePoolBackward(const Node& node, const Tensor& x, const Tensor& dy) {
  if (x.rank() != 4) return Fail(StatusCode::kUnsupported, "node '", node.name, "' (AveragePool): training supports 2-D pooling");
  const auto kernel = node.GetInts("kernel_shape");
  if (kernel.size() != 2) return Fail(StatusCode::kInvalidArgument, "node '", node.name, "' (AveragePool): kernel_shape must have 2 values");
  auto g = ComputeWindow(node, {x.dim(2), x.dim(3)}, {kernel[0], kernel[1]});
  if (!g.ok()) return g.status();
  const bool count_pad = node.GetInt("count_include_pad", 0) != 0;
  const int64_t planes = x.dim(0) * x.dim(1), oh = g->output[0], ow = g->output[1];
  Tensor dx(DataType::kFloat, x.shape());
  // Calls f(input row, input column) for each tap of output (oy, ox), padding included.
  auto for_each_tap = [&](int64_t oy, int64_t ox, auto f) {
    for (int64_t ky = 0; ky < kernel[0]; ++ky)
      for (int64_t kx = 0; kx < kernel[1]; ++kx) {
        const int64_t iy = oy * g->strides[0] + ky * g->dilations[0] - g->pad_begin[0];
        const int64_t ix = ox * g->strides[1] + kx * g->dilations[1] - g->pad_begin[1];
        f(iy, ix);
      }
  };
  for (int64_t pl = 0; pl < planes; ++pl)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        int64_t count = 0, padded = 0;  // the reference's divisors: inputs averaged, or those plus the padding
        for_each_tap(oy, ox, [&](int64_t iy, int64_t ix) {
          count += iy >= 0 && iy < g->input[0] && ix >= 0 && ix < g->input[1];
          padded += iy < g->input[0] + g->pad_end[0] && ix < g->input[1] + g->pad_end[1];
        });
        const float share = dy.data<float>()[(pl * oh + oy) * ow + ox] / static_cast<float>(count_pad ? padded : count);
        for_each_tap(oy, ox, [&](int64_t iy, int64_t ix) {
          if (iy >= 0 && iy < g->input[0] && ix >= 0 && ix < g->input[1]) dx.data<float>()[(pl * g->input[0] + iy) * g->input[1] + ix] += share;
        });
      }
  return dx;
}

Tensor GlobalAveragePoolBackward(const Tensor& x, const Tensor& dy) {
  const int64_t planes = x.dim(0) * x.dim(1), size = x.size() / planes;
  Tensor dx(DataType::kFloat, x.shape());
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < size; ++i) dx.data<float>()[p * size + i] = dy.data<float>()[p] / static_cast<float>(size);
  return dx;
}

Tensor ClampBackward(const Tensor& x, float lo, float hi, const Tensor& dy) {
  Tensor dx(DataType::kFloat, x.shape());
  for (int64_t i = 0; i < x.size(); ++i) {
    const float v = x.data<float>()[i];
    dx.data<float>()[i] = v > lo && v < hi ? dy.data<float>()[i] : 0.0f;
  }
  return dx;
}

float FakeQuantOne(float x, const FakeQuant& q, bool& passes) {
  const float level = std::nearbyint(x / q.scale) + static_cast<float>(q.zero_point);
  passes = level >= static_cast<float>(q.qmin) && level <= static_cast<float>(q.qmax);
  return (std::clamp(level, static_cast<float>(q.qmin), static_cast<float>(q.qmax)) - static_cast<float>(q.zero_point)) * q.scale;
}

Tensor FakeQuantForward(const Tensor& x, const FakeQuant& q) {
  Tensor y(DataType::kFloat, x.shape());
  bool passes;
  for (int64_t i = 0; i < x.size(); ++i) y.data<float>()[i] = FakeQuantOne(x.data<float>()[i], q, passes);
  return y;
}

Tensor FakeQuantBackward(const Tensor& x, const FakeQuant& q, const Tensor& dy) {
  Tensor dx(DataType::kFloat, x.shape());
  bool passes;
  for (int64_t i = 0; i < x.size(); ++i) {
    FakeQuantOne(x.data<float>()[i], q, passes);
    dx.data<float>()[i] = passes ? dy.data<float>()[i] : 0.0f;
  }
  return dx;
}

double FakeQuantScaleGrad(const Tensor& x, const FakeQuant& q, const Tensor& dy) {
  double grad = 0;
  for (int64_t i = 0; i < x.size(); ++i) {
    const float v = x.data<float>()[i] / q.scale;
    const float level = std::nearbyint(v) + static_cast<float>(q.zero_point);
    const float clamped = std::clamp(level, static_cast<float>(q.qmin), static_cast<float>(q.qmax));
    const double d = clamped != level ? clamped - static_cast<float>(q.zero_point) : std::nearbyint(v) - v;
    grad += d * dy.data<float>()[i];
  }
  return grad;
}

Result<double> SoftmaxCrossEntropy(const Tensor& logits, const Tensor& labels, Tensor& dlogits) {
  if (logits.rank() != 2 || labels.size() != logits.dim(0))
    return Fail(StatusCode::kInvalidArgument, "the loss needs logits [N, classes] and N labels, got ", ShapeToString(logits.shape()), " and ",
                labels.size(), " labels");
  QPLAY_RETURN_IF_ERROR(CheckClassLabels(labels, logits.dim(1)));
  const int64_t n = logits.dim(0), classes = logits.dim(1);
  dlogits = Tensor(DataType::kFloat, logits.shape());
  double loss = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = logits.data<float>() + i * classes;
    const int64_t label = labels.GetAsInt64(i);
    const float top = *std::max_element(row, row + classes);
    double sum = 0;
    for (int64_t j = 0; j < classes; ++j) sum += std::exp(static_cast<double>(row[j] - top));
    loss += std::log(sum) - (row[label] - top);
    for (int64_t j = 0; j < classes; ++j)
      dlogits.data<float>()[i * classes + j] = static_cast<float>((std::exp(static_cast<double>(row[j] - top)) / sum - (j == label)) / n);
  }
  return loss / static_cast<double>(n);
}

}  // namespace qplay::train
