// Normalization and softmax-family ops, float32/float64.
#include <algorithm>
#include <cmath>
#include <tuple>

#include "kernels/broadcast.h"
#include "kernels/moments.h"
#include "kernels/registry.h"

#include "ops/op_type.h"

namespace qplay {
namespace {

bool IsFloat(const Tensor& t) { return t.dtype() == DataType::kFloat || t.dtype() == DataType::kDouble; }

// Calls fn with float or double for a float tensor.
template <typename Fn>
void VisitFloat(DataType type, Fn&& fn) {
  if (type == DataType::kFloat) fn(float{});
  else fn(double{});
}

Status BatchNormalization(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  if (!IsFloat(x)) return ctx.Unsupported("element type ", DataTypeName(x.dtype()));
  if (ctx.node.GetInt("training_mode", 0) != 0 || (ctx.num_outputs() > 1 && ctx.wants(1)))
    return ctx.Unsupported("training mode (qplay runs BatchNormalization for inference)");
  if (x.rank() < 2) return ctx.Invalid("X must have rank >= 2, got ", ShapeToString(x.shape()));
  const double eps = ctx.node.GetFloat("epsilon", 1e-5f);
  const int64_t channels = x.dim(1);
  for (size_t i = 1; i <= 4; ++i)
    if (ctx.in(i).size() != channels)
      return ctx.Invalid("input ", i, " has ", ctx.in(i).size(), " values but X has ", channels, " channels");
  Tensor& y = ctx.Output(0, x.dtype(), x.shape());
  if (x.size() == 0) return Status::Ok();  // an empty batch (or zero channels): nothing to normalize
  const int64_t spatial = x.size() / (x.dim(0) * channels);
  VisitFloat(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *scale = ctx.in(1).data<T>(), *bias = ctx.in(2).data<T>(), *mean = ctx.in(3).data<T>(), *var = ctx.in(4).data<T>();
    for (int64_t n = 0; n < x.dim(0); ++n)
      for (int64_t c = 0; c < channels; ++c) {
        const T a = static_cast<T>(scale[c] / std::sqrt(var[c] + eps));
        const T b = bias[c] - mean[c] * a;
        const int64_t base = (n * channels + c) * spatial;
        for (int64_t i = 0; i < spatial; ++i) y.data<T>()[base + i] = x.data<T>()[base + i] * a + b;
      }
  });
  return Status::Ok();
}

// X [N, C, ...] normalized over each of `groups` groups of C / groups channels (with their
// spatial dims), then scaled and shifted per channel, or per group when `per_group_affine`
// (GroupNormalization before opset 21). InstanceNormalization is the case of one channel per group.
Status NormalizeGroups(KernelContext& ctx, int64_t groups, bool per_group_affine) {
  const Tensor &x = ctx.in(0), &scale = ctx.in(1), &bias = ctx.in(2);
  if (!IsFloat(x)) return ctx.Unsupported("element type ", DataTypeName(x.dtype()));
  if (x.rank() < 2) return ctx.Invalid("X must have a batch and a channel dim, got shape ", ShapeToString(x.shape()));
  Tensor& y = ctx.Output(0, x.dtype(), x.shape());
  if (x.size() == 0) return Status::Ok();
  if (groups < 1) return ctx.Invalid("num_groups ", groups, " must be at least 1");
  const int64_t channels = x.dim(1), affine = per_group_affine ? groups : channels;
  if (channels % groups) return ctx.Invalid(channels, " channels do not split into ", groups, " groups");
  if (scale.size() != affine || bias.size() != affine)
    return ctx.Invalid("scale and bias must have ", affine, " values, got ", scale.size(), " and ", bias.size());
  const double eps = ctx.node.GetFloat("epsilon", 1e-5f);
  const int64_t per_channel = x.size() / (x.dim(0) * channels), per_group = per_channel * (channels / groups);
  VisitFloat(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t g = 0; g < x.dim(0) * groups; ++g) {
      const T* px = x.data<T>() + g * per_group;
      const auto [mean, var] = MeanAndVariance(px, per_group);
      const double inv_std = 1 / std::sqrt(var + eps);
      for (int64_t i = 0; i < per_group; ++i) {
        const int64_t c = (g % groups) * (channels / groups) + i / per_channel, a = per_group_affine ? g % groups : c;
        y.data<T>()[g * per_group + i] = static_cast<T>((px[i] - mean) * inv_std * scale.GetAsDouble(a) + bias.GetAsDouble(a));
      }
    }
  });
  return Status::Ok();
}

Status InstanceNormalization(KernelContext& ctx) {
  if (ctx.in(0).rank() < 2) return ctx.Invalid("input must have a batch and a channel dim, got shape ", ShapeToString(ctx.in(0).shape()));
  return NormalizeGroups(ctx, ctx.in(0).dim(1), false);
}

Status GroupNormalization(KernelContext& ctx) {
  return NormalizeGroups(ctx, ctx.node.GetInt("num_groups", 1), ctx.opset < 21);
}

// Checks that `param` (the scale or bias) broadcasts to `normalized`, the dims it multiplies, in
// the one way NormalizeLastDims indexes it: repeated along the leading dims (value i % size).
Status CheckNormalizationParameter(const KernelContext& ctx, const char* what, const Tensor& param, const Shape& normalized) {
  Shape kept(std::find_if(param.shape().begin(), param.shape().end(), [](int64_t d) { return d != 1; }), param.shape().end());
  if (kept.size() <= normalized.size() && std::equal(kept.begin(), kept.end(), normalized.end() - static_cast<int64_t>(kept.size())))
    return Status::Ok();
  auto broadcast = BroadcastShapes({param.shape(), normalized});
  if (!broadcast.ok() || *broadcast != normalized)
    return ctx.Invalid(what, " ", ShapeToString(param.shape()), " does not broadcast to X's dims from the axis on, ", ShapeToString(normalized));
  return ctx.Unsupported(what, " ", ShapeToString(param.shape()), " repeats along an inner dim of ", ShapeToString(normalized));
}

// x normalized over its dims from `axis`, times scale, plus bias: as LayerNormalization (each
// row centred on its mean), or with `rms` as RMS normalization (divided by the root of its mean
// square, not centred). Scale and bias broadcast over the normalized dims. The row's mean and
// 1/sqrt(variance + epsilon) go to outputs `mean_output` and `inv_std_output` when wanted.
Status NormalizeLastDims(KernelContext& ctx, const Tensor& x, int64_t axis, bool rms, const Tensor& scale, const Tensor* bias,
                         size_t mean_output, size_t inv_std_output) {
  if (!IsFloat(x)) return ctx.Unsupported("element type ", DataTypeName(x.dtype()));
  const int64_t given_axis = axis;
  if (!NormalizeAxis(axis, x.rank())) return ctx.Invalid("axis ", given_axis, " out of range for rank ", x.rank());
  const double eps = ctx.node.GetFloat("epsilon", 1e-5f);
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.dim(d);
  const int64_t inner = outer ? x.size() / outer : 0;
  Shape stat_shape = x.shape();
  for (int64_t d = axis; d < x.rank(); ++d) stat_shape[d] = 1;
  if (scale.dtype() != x.dtype() || (bias && bias->dtype() != x.dtype()))
    return ctx.Invalid("the scale and bias must have X's element type ", DataTypeName(x.dtype()));
  const Shape normalized(x.shape().begin() + axis, x.shape().end());
  QPLAY_RETURN_IF_ERROR(CheckNormalizationParameter(ctx, "the scale", scale, normalized));
  if (bias) QPLAY_RETURN_IF_ERROR(CheckNormalizationParameter(ctx, "the bias", *bias, normalized));
  Tensor& y = ctx.Output(0, x.dtype(), x.shape());
  Tensor* mean_out = ctx.wants(mean_output) ? &ctx.Output(mean_output, DataType::kFloat, stat_shape) : nullptr;
  Tensor* inv_std_out = ctx.wants(inv_std_output) ? &ctx.Output(inv_std_output, DataType::kFloat, stat_shape) : nullptr;
  VisitFloat(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* ps = scale.data<T>();
    const T* pb = bias ? bias->data<T>() : nullptr;
    const int64_t scale_size = scale.size(), bias_size = bias ? bias->size() : 1;
    for (int64_t o = 0; o < outer; ++o) {
      const T* px = x.data<T>() + o * inner;
      double mean = 0, var = 0;
      if (rms) {
        for (int64_t i = 0; i < inner; ++i) var += static_cast<double>(px[i]) * px[i];
        var /= static_cast<double>(std::max<int64_t>(inner, 1));
      } else {
        std::tie(mean, var) = MeanAndVariance(px, inner);
      }
      const double inv_std = 1.0 / std::sqrt(var + eps);
      for (int64_t i = 0; i < inner; ++i) {
        double v = (px[i] - mean) * inv_std * static_cast<double>(ps[i % scale_size]);
        if (pb) v += static_cast<double>(pb[i % bias_size]);
        y.data<T>()[o * inner + i] = static_cast<T>(v);
      }
      if (mean_out) mean_out->data<float>()[o] = static_cast<float>(mean);
      if (inv_std_out) inv_std_out->data<float>()[o] = static_cast<float>(inv_std);
    }
  });
  return Status::Ok();
}

constexpr size_t kNoOutput = ~size_t{0};

Status LayerNormalization(KernelContext& ctx) {
  return NormalizeLastDims(ctx, ctx.in(0), ctx.node.GetInt("axis", -1), false, ctx.in(1), ctx.has(2) ? &ctx.in(2) : nullptr, 1, 2);
}

// SimplifiedLayerNormalization (ONNX Runtime's, in ai.onnx): RMS normalization (outputs Y, inv_std_var).
Status SimplifiedLayerNormalization(KernelContext& ctx) {
  return NormalizeLastDims(ctx, ctx.in(0), ctx.node.GetInt("axis", -1), true, ctx.in(1), nullptr, kNoOutput, 1);
}

// com.microsoft SkipLayerNormalization and SkipSimplifiedLayerNormalization: input + skip (+ bias),
// normalized over the last dim; outputs (output, mean, inv_std_var, input_skip_bias_sum).
// skip is input's shape or repeats along the leading dims ([1, S, H] or [S, H]).
Status SkipNormalization(KernelContext& ctx, bool rms) {
  const Tensor &x = ctx.in(0), &skip = ctx.in(1);
  const size_t bias_input = rms ? 3 : 4;
  if (x.dtype() != DataType::kFloat || skip.dtype() != DataType::kFloat) return ctx.Unsupported("element type ", DataTypeName(x.dtype()), " (float32 only)");
  const int64_t hidden = x.rank() ? x.dim(x.rank() - 1) : 0;
  if (x.rank() < 2 || skip.size() == 0 || x.size() % skip.size() || skip.dim(skip.rank() - 1) != hidden)
    return ctx.Invalid("skip ", ShapeToString(skip.shape()), " must be input's shape ", ShapeToString(x.shape()), " or repeat along its leading dims");
  const Tensor* bias = ctx.has(bias_input) ? &ctx.in(bias_input) : nullptr;
  if (bias && (bias->dtype() != DataType::kFloat || bias->size() != hidden))
    return ctx.Invalid("bias must have ", hidden, " float32 values, got ", bias->size());
  Tensor sum(DataType::kFloat, x.shape());
  for (int64_t i = 0; i < x.size(); ++i)
    sum.data<float>()[i] = x.data<float>()[i] + skip.data<float>()[i % skip.size()] + (bias ? bias->data<float>()[i % hidden] : 0.0f);
  QPLAY_RETURN_IF_ERROR(NormalizeLastDims(ctx, sum, -1, rms, ctx.in(2), rms || !ctx.has(3) ? nullptr : &ctx.in(3), 1, 2));
  if (ctx.wants(3)) ctx.SetOutput(3, sum);
  return Status::Ok();
}

Status SkipLayerNormalization(KernelContext& ctx) { return SkipNormalization(ctx, false); }
Status SkipSimplifiedLayerNormalization(KernelContext& ctx) { return SkipNormalization(ctx, true); }

enum class SoftmaxKind { kSoftmax, kLogSoftmax, kHardmax };

// Before opset 13 the input is coerced to 2-D at `axis` (default 1); from 13 on the op
// works along one axis (default -1).
template <SoftmaxKind kKind>
Status SoftmaxFamily(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  if (!IsFloat(x)) return ctx.Unsupported("element type ", DataTypeName(x.dtype()));
  const bool legacy = ctx.opset < 13;
  int64_t axis = ctx.node.GetInt("axis", legacy ? 1 : -1);
  if (x.rank() == 0) axis = 0;
  else if (!NormalizeAxis(axis, x.rank())) return ctx.Invalid("axis out of range for rank ", x.rank());
  int64_t outer = 1, length = 1, inner = 1;
  for (int64_t d = 0; d < x.rank(); ++d) {
    if (d < axis) outer *= x.dim(d);
    else if (d == axis || legacy) length *= x.dim(d);
    else inner *= x.dim(d);
  }
  Tensor& y = ctx.Output(0, x.dtype(), x.shape());
  VisitFloat(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* py = y.data<T>();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t in = 0; in < inner; ++in) {
        auto at = [&](int64_t i) { return (o * length + i) * inner + in; };
        int64_t arg = 0;
        for (int64_t i = 1; i < length; ++i)
          if (px[at(i)] > px[at(arg)]) arg = i;
        const T max = length ? px[at(arg)] : T(0);
        if constexpr (kKind == SoftmaxKind::kHardmax) {
          for (int64_t i = 0; i < length; ++i) py[at(i)] = i == arg ? T(1) : T(0);
        } else {
          T sum = 0;
          for (int64_t i = 0; i < length; ++i) sum += std::exp(px[at(i)] - max);
          for (int64_t i = 0; i < length; ++i) {
            if constexpr (kKind == SoftmaxKind::kSoftmax) py[at(i)] = std::exp(px[at(i)] - max) / sum;
            else py[at(i)] = px[at(i)] - max - std::log(sum);
          }
        }
      }
  });
  return Status::Ok();
}

Status Lrn(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  if (x.dtype() != DataType::kFloat) return ctx.Unsupported("element type ", DataTypeName(x.dtype()));
  const double alpha = ctx.node.GetFloat("alpha", 1e-4f), beta = ctx.node.GetFloat("beta", 0.75f);
  const double bias = ctx.node.GetFloat("bias", 1.0f);
  const int64_t size = ctx.node.GetInt("size", 1), channels = x.dim(1), spatial = x.size() / (x.dim(0) * channels);
  Tensor& y = ctx.Output(0, x.dtype(), x.shape());
  const float* px = x.data<float>();
  for (int64_t n = 0; n < x.dim(0); ++n)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t i = 0; i < spatial; ++i) {
        double sum = 0;
        const int64_t lo = std::max<int64_t>(0, c - (size - 1) / 2), hi = std::min(channels - 1, c + size / 2);
        for (int64_t j = lo; j <= hi; ++j) {
          double v = px[(n * channels + j) * spatial + i];
          sum += v * v;
        }
        const int64_t at = (n * channels + c) * spatial + i;
        y.data<float>()[at] = static_cast<float>(px[at] / std::pow(bias + alpha / size * sum, beta));
      }
  return Status::Ok();
}

}  // namespace

void RegisterNormalizationKernels(KernelRegistry& r) {
  r.Add("BatchNormalization", BatchNormalization);
  r.Add("InstanceNormalization", InstanceNormalization);
  r.Add("GroupNormalization", GroupNormalization);
  const std::string ms(kMicrosoftDomain);
  r.Add("SimplifiedLayerNormalization", SimplifiedLayerNormalization);
  r.Add("SkipLayerNormalization", SkipLayerNormalization, ms);
  r.Add("SkipSimplifiedLayerNormalization", SkipSimplifiedLayerNormalization, ms);
  r.Add("LayerNormalization", LayerNormalization);
  r.Add("Softmax", SoftmaxFamily<SoftmaxKind::kSoftmax>);
  r.Add("LogSoftmax", SoftmaxFamily<SoftmaxKind::kLogSoftmax>);
  r.Add("Hardmax", SoftmaxFamily<SoftmaxKind::kHardmax>);
  r.Add("LRN", Lrn);
}

}  // namespace qplay
