// Activation functions. Float32/float64; computed in the input's own precision.
#include <algorithm>
#include <cmath>

#include "kernels/activation_functions.h"
#include "kernels/broadcast.h"
#include "kernels/registry.h"
#include "ops/op_type.h"

namespace qplay {
namespace {

// Applies fn(x) element-wise to a float32/float64 input.
template <typename Fn>
Status Activation(KernelContext& ctx, Fn fn) {
  const Tensor& x = ctx.in(0);
  Tensor& out = ctx.Output(0, x.dtype(), x.shape());
  if (x.dtype() == DataType::kFloat) {
    const float* in = x.data<float>();
    float* o = out.data<float>();
    for (int64_t i = 0; i < x.size(); ++i) o[i] = static_cast<float>(fn(in[i]));
  } else if (x.dtype() == DataType::kDouble) {
    const double* in = x.data<double>();
    double* o = out.data<double>();
    for (int64_t i = 0; i < x.size(); ++i) o[i] = fn(in[i]);
  } else {
    return ctx.Unsupported("element type ", DataTypeName(x.dtype()), " (float32/float64 only)");
  }
  return Status::Ok();
}

Status Relu(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  if (x.dtype() == DataType::kFloat || x.dtype() == DataType::kDouble)
    return Activation(ctx, [](auto v) { return ReluOf(v); });
  Tensor& out = ctx.Output(0, x.dtype(), x.shape());
  bool visited = VisitNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < x.size(); ++i) out.data<T>()[i] = std::max(x.data<T>()[i], T(0));
  });
  return visited ? Status::Ok() : ctx.Unsupported("element type ", DataTypeName(x.dtype()));
}

Status LeakyRelu(KernelContext& ctx) {
  const double alpha = ctx.node.GetFloat("alpha", 0.01f);
  return Activation(ctx, [alpha](auto v) { return LeakyReluOf(v, alpha); });
}

Status Elu(KernelContext& ctx) {
  const double alpha = ctx.node.GetFloat("alpha", 1.0f);
  return Activation(ctx, [alpha](auto v) { return v >= 0 ? v : decltype(v)(alpha * (std::exp(v) - 1)); });
}

Status Celu(KernelContext& ctx) {
  const double alpha = ctx.node.GetFloat("alpha", 1.0f);
  return Activation(ctx, [alpha](auto v) {
    return decltype(v)(std::max(0.0, double(v)) + std::min(0.0, alpha * (std::exp(v / alpha) - 1)));
  });
}

Status Selu(KernelContext& ctx) {
  const double alpha = ctx.node.GetFloat("alpha", 1.67326319217681884765625f);
  const double gamma = ctx.node.GetFloat("gamma", 1.05070102214813232421875f);
  return Activation(ctx, [=](auto v) { return decltype(v)(v > 0 ? gamma * v : gamma * (alpha * std::exp(v) - alpha)); });
}

Status ThresholdedRelu(KernelContext& ctx) {
  const double alpha = ctx.node.GetFloat("alpha", 1.0f);
  return Activation(ctx, [alpha](auto v) { return v > alpha ? v : decltype(v)(0); });
}

Status Sigmoid(KernelContext& ctx) {
  return Activation(ctx, [](auto v) { return SigmoidOf(v); });
}

Status Tanh(KernelContext& ctx) {
  return Activation(ctx, [](auto v) { return TanhOf(v); });
}

Status Softplus(KernelContext& ctx) {
  return Activation(ctx, [](auto v) { return std::log1p(std::exp(v)); });
}

// x * tanh(softplus(x)); softplus written so that it neither overflows nor loses small values.
Status Mish(KernelContext& ctx) {
  return Activation(ctx, [](auto v) {
    using T = decltype(v);
    const T softplus = v > T(20) ? v : std::log1p(std::exp(v));
    return v * std::tanh(softplus);
  });
}

Status Softsign(KernelContext& ctx) {
  return Activation(ctx, [](auto v) { return v / (decltype(v)(1) + std::abs(v)); });
}

Status HardSigmoid(KernelContext& ctx) {
  const double alpha = ctx.node.GetFloat("alpha", 0.2f), beta = ctx.node.GetFloat("beta", 0.5f);
  return Activation(ctx, [=](auto v) { return HardSigmoidOf(v, decltype(v)(alpha), decltype(v)(beta)); });
}

Status HardSwish(KernelContext& ctx) {
  return Activation(ctx, [](auto v) { return HardSwishOf(v); });
}

Status Gelu(KernelContext& ctx) {
  const bool tanh_approx = ctx.node.GetString("approximate", "none") == "tanh";
  return Activation(ctx, [tanh_approx](auto v) {
    double x = v;
    if (tanh_approx) return decltype(v)(0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))));
    return decltype(v)(0.5 * x * (1 + std::erf(x / std::sqrt(2.0))));
  });
}

// x + bias for FastGelu and BiasGelu: the bias is a vector along the last dim.
Result<Tensor> PlusLastDimBias(const KernelContext& ctx, const Tensor& x, size_t bias_input) {
  if (!ctx.has(bias_input)) return x;
  const Tensor& bias = ctx.in(bias_input);
  if (x.dtype() != DataType::kFloat || bias.dtype() != DataType::kFloat) return ctx.Unsupported("element type ", DataTypeName(x.dtype()), " (float32 only)");
  if (x.rank() == 0 || bias.size() != x.dim(x.rank() - 1))
    return ctx.Invalid("the bias must have the last dim's ", x.rank() ? x.dim(x.rank() - 1) : 0, " values, got ", bias.size());
  Tensor sum(DataType::kFloat, x.shape());
  for (int64_t i = 0; i < x.size(); ++i) sum.data<float>()[i] = x.data<float>()[i] + bias.data<float>()[i % bias.size()];
  return sum;
}

// y = gelu(x + bias) with `approximate` tanh or exact erf; one output of the same shape.
Status GeluOfSum(KernelContext& ctx, size_t bias_input, bool tanh_approx) {
  auto sum = PlusLastDimBias(ctx, ctx.in(0), bias_input);
  if (!sum.ok()) return sum.status();
  const std::vector<const Tensor*> inputs{&*sum};
  KernelContext inner(ctx.node, ctx.opset, inputs, nullptr);
  QPLAY_RETURN_IF_ERROR(Activation(inner, [tanh_approx](auto v) {
    const double x = v;
    if (tanh_approx) return decltype(v)(0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))));
    return decltype(v)(0.5 * x * (1 + std::erf(x / std::sqrt(2.0))));
  }));
  ctx.SetOutput(0, inner.outputs()[0]);
  return Status::Ok();
}

Status MicrosoftGelu(KernelContext& ctx) { return GeluOfSum(ctx, 1, false); }  // no bias input: input 1 is absent
Status FastGelu(KernelContext& ctx) { return GeluOfSum(ctx, 1, true); }
Status BiasGelu(KernelContext& ctx) { return GeluOfSum(ctx, 1, false); }

Status QuickGelu(KernelContext& ctx) {
  const double alpha = ctx.node.GetFloat("alpha", 1.702f);
  return Activation(ctx, [alpha](auto v) { return decltype(v)(v / (1 + std::exp(-alpha * v))); });
}

Status PRelu(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  Tensor slope = ctx.in(1);
  if (x.dtype() != DataType::kFloat) return ctx.Unsupported("element type ", DataTypeName(x.dtype()));
  // Before opset 7 a 1-D slope holds one value per channel (axis 1).
  if (ctx.opset < 7 && slope.rank() == 1 && x.rank() > 2 && slope.size() == x.dim(1) && slope.size() > 1) {
    Shape per_channel(static_cast<size_t>(x.rank() - 1), 1);
    per_channel[0] = slope.size();
    slope = slope.Reshaped(per_channel);
  }
  auto shape = BroadcastShapes({x.shape(), slope.shape()});
  if (!shape.ok()) return shape.status();
  Tensor& out = ctx.Output(0, x.dtype(), *shape);
  const float *px = x.data<float>(), *ps = slope.data<float>();
  float* po = out.data<float>();
  ForEachBroadcast(*shape, {x.shape(), slope.shape()}, [&](int64_t i, const int64_t* o) {
    float v = px[o[0]];
    po[i] = v < 0 ? v * ps[o[1]] : v;
  });
  return Status::Ok();
}

// Clip: bounds are attributes before opset 11 and optional inputs from 11 on.
Status Clip(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  for (size_t i : {1, 2})
    if (ctx.opset >= 11 && ctx.has(i) && (ctx.in(i).size() != 1 || ctx.in(i).dtype() != x.dtype()))
      return ctx.Invalid(i == 1 ? "min" : "max", " must be one ", DataTypeName(x.dtype()), " value, got ",
                         DataTypeName(ctx.in(i).dtype()), " ", ShapeToString(ctx.in(i).shape()));
  Tensor& out = ctx.Output(0, x.dtype(), x.shape());
  bool visited = VisitNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
    if (ctx.opset < 11) {
      // Saturating: the float defaults (and any bound) may lie outside an integer type's range.
      lo = ConvertFromDouble<T>(ctx.node.GetFloat("min", -std::numeric_limits<float>::max()));
      hi = ConvertFromDouble<T>(ctx.node.GetFloat("max", std::numeric_limits<float>::max()));
    } else {
      if (ctx.has(1)) lo = ctx.in(1).data<T>()[0];
      if (ctx.has(2)) hi = ctx.in(2).data<T>()[0];
    }
    for (int64_t i = 0; i < x.size(); ++i) out.data<T>()[i] = ClipOf(x.data<T>()[i], lo, hi);
  });
  return visited ? Status::Ok() : ctx.Unsupported("element type ", DataTypeName(x.dtype()));
}

}  // namespace

void RegisterActivationKernels(KernelRegistry& r) {
  r.Add("Relu", Relu);
  r.Add("LeakyRelu", LeakyRelu);
  r.Add("PRelu", PRelu);
  r.Add("Elu", Elu);
  r.Add("Celu", Celu);
  r.Add("Selu", Selu);
  r.Add("ThresholdedRelu", ThresholdedRelu);
  r.Add("Sigmoid", Sigmoid);
  r.Add("Tanh", Tanh);
  r.Add("Softplus", Softplus);
  r.Add("Mish", Mish);
  r.Add("Softsign", Softsign);
  r.Add("HardSigmoid", HardSigmoid);
  r.Add("HardSwish", HardSwish);
  r.Add("Gelu", Gelu);
  const std::string ms(kMicrosoftDomain);
  r.Add("Gelu", MicrosoftGelu, ms);
  r.Add("FastGelu", FastGelu, ms);
  r.Add("BiasGelu", BiasGelu, ms);
  r.Add("QuickGelu", QuickGelu, ms);
  r.Add("Clip", Clip);
}

}  // namespace qplay
