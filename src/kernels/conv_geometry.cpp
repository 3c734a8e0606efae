#include "kernels/conv_geometry.h"

#include "ops/conv.h"

namespace qplay {

Result<ConvShape> PlanConv(const KernelContext& ctx, const Tensor& x, const Tensor& w) {
  if (x.rank() < 3) return ctx.Invalid("X must be N x C x spatial..., got ", ShapeToString(x.shape()));
  if (w.rank() != x.rank())
    return ctx.Invalid("W ", ShapeToString(w.shape()), " and X ", ShapeToString(x.shape()), " differ in rank");
  ConvShape s;
  s.batch = x.dim(0);
  s.in_channels = x.dim(1);
  s.out_channels = w.dim(0);
  s.group = ctx.node.GetInt("group", 1);
  if (s.group <= 0 || s.in_channels % s.group || s.out_channels % s.group || w.dim(1) * s.group != s.in_channels)
    return ctx.Invalid("X has ", s.in_channels, " channels, W ", ShapeToString(w.shape()), ", group ", s.group,
                       ": expected W's dim 1 = channels / group");
  // B, when given, holds one value per output channel: Conv's and FusedConv's input 2,
  // QLinearConv's input 8 (ConvInteger's input 2 is a zero point).
  const size_t bias_input = IsOp(ctx.node, ops::kQLinearConv) ? 8 : IsOp(ctx.node, ops::kConvInteger) ? 0 : 2;
  if (bias_input > 0 && ctx.has(bias_input) && ctx.in(bias_input).size() != s.out_channels)
    return ctx.Invalid("B has ", ctx.in(bias_input).size(), " values for ", s.out_channels, " output channels");
  auto window = ComputeWindow(ctx.node, Shape(x.shape().begin() + 2, x.shape().end()),
                              Shape(w.shape().begin() + 2, w.shape().end()));
  if (!window.ok()) return window.status();
  s.window = std::move(window.value());
  return s;
}

Result<TransposedConvShape> PlanConvTranspose(const KernelContext& ctx, const Tensor& x, const Tensor& w) {
  if (x.dtype() != DataType::kFloat) return ctx.Unsupported("element type ", DataTypeName(x.dtype()));
  if (x.rank() < 3 || w.rank() != x.rank())
    return ctx.Invalid("X ", ShapeToString(x.shape()), " and W ", ShapeToString(w.shape()), " must be N x C x spatial...");
  const int64_t rank = x.rank() - 2, batch = x.dim(0), channels = x.dim(1);
  const int64_t group = ctx.node.GetInt("group", 1);
  if (group <= 0 || w.dim(0) != channels || channels % group)
    return ctx.Invalid("W ", ShapeToString(w.shape()), " does not match ", channels, " input channels with group ", group);
  const int64_t mpg = w.dim(1), out_channels = mpg * group, cpg = channels / group;
  const Shape in(x.shape().begin() + 2, x.shape().end()), kernel(w.shape().begin() + 2, w.shape().end());
  const Shape strides = ctx.node.GetInts("strides", Shape(rank, 1));
  const Shape dilations = ctx.node.GetInts("dilations", Shape(rank, 1));
  const Shape out_pad = ctx.node.GetInts("output_padding", Shape(rank, 0));
  Shape pads = ctx.node.GetInts("pads", Shape(2 * rank, 0));
  const Shape requested = ctx.node.GetInts("output_shape");
  const std::string auto_pad = ctx.node.GetString("auto_pad", "NOTSET");
  for (const auto& [name, values, count] : {std::tuple<const char*, const Shape*, int64_t>{"strides", &strides, rank},
                                            {"dilations", &dilations, rank}, {"output_padding", &out_pad, rank}, {"pads", &pads, 2 * rank}})
    if (static_cast<int64_t>(values->size()) != count) return ctx.Invalid("attribute '", name, "' needs ", count, " values, got ", values->size());
  if (!requested.empty() && static_cast<int64_t>(requested.size()) < rank)
    return ctx.Invalid("attribute 'output_shape' needs ", rank, " values or more, got ", requested.size());
  Shape out(rank);
  for (int64_t d = 0; d < rank; ++d) {
    // Sizes come from the file: the output length is computed without overflowing int64.
    int64_t full = 0;
    if (__builtin_mul_overflow(strides[d], in[d] - 1, &full) || __builtin_add_overflow(full, out_pad[d] + 1, &full) ||
        (kernel[d] > 0 && dilations[d] > (INT64_MAX - full) / kernel[d]))
      return ctx.Invalid("the output length along spatial dim ", d, " overflows int64");
    full += (kernel[d] - 1) * dilations[d];
    if (!requested.empty() || auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      out[d] = !requested.empty() ? requested[requested.size() - rank + d] : full;
      if (requested.empty() && __builtin_mul_overflow(in[d], strides[d], &out[d]))
        return ctx.Invalid("the output length along spatial dim ", d, " overflows int64");
      int64_t total = 0;
      if (__builtin_sub_overflow(full, out[d], &total)) return ctx.Invalid("output_shape ", ShapeToString(requested), " is out of range");
      const bool upper = auto_pad != "SAME_LOWER";
      pads[d] = upper ? total / 2 : total - total / 2;
      pads[d + rank] = total - pads[d];
    } else {
      if (__builtin_sub_overflow(full, pads[d], &out[d]) || __builtin_sub_overflow(out[d], pads[d + rank], &out[d]))
        return ctx.Invalid("pads ", ShapeToString(pads), " are out of range");
    }
  }
  for (int64_t d = 0; d < rank; ++d)
    if (out[d] < 0) return ctx.Invalid("the output length along spatial dim ", d, " is ", out[d]);
  if (ctx.has(2) && ctx.in(2).size() != out_channels)
    return ctx.Invalid("B has ", ctx.in(2).size(), " values for ", out_channels, " output channels");
  TransposedConvShape s;
  s.rank = rank, s.batch = batch, s.in_channels = channels, s.out_channels = out_channels, s.group = group;
  s.in_per_group = cpg, s.out_per_group = mpg;
  s.input = in, s.kernel = kernel, s.strides = strides, s.dilations = dilations, s.pads = pads, s.output = out;
  return s;
}

}  // namespace qplay
