#include "kernels/conv_geometry.h"

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
  auto window = ComputeWindow(ctx.node, Shape(x.shape().begin() + 2, x.shape().end()),
                              Shape(w.shape().begin() + 2, w.shape().end()));
  if (!window.ok()) return window.status();
  s.window = std::move(window.value());
  return s;
}

}  // namespace qplay
