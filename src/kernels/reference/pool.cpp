// Pooling: MaxPool (with optional Indices), AveragePool, LpPool, GlobalAveragePool, GlobalMaxPool.
#include <cmath>
#include <limits>

#include "kernels/conv_geometry.h"
#include "kernels/registry.h"

namespace qplay {
namespace {

enum class PoolKind { kMax, kAverage, kLp };

template <PoolKind kKind>
Status Pool(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  if (x.rank() < 3) return ctx.Invalid("X must be N x C x spatial..., got ", ShapeToString(x.shape()));
  auto window = ComputeWindow(ctx.node, Shape(x.shape().begin() + 2, x.shape().end()), {});
  if (!window.ok()) return window.status();
  const WindowGeometry& g = *window;
  const int64_t rank = g.spatial_rank();
  if (ctx.wants(1) && ctx.node.GetInt("storage_order", 0) != 0) return ctx.Unsupported("storage_order=1");
  Shape out_shape{x.dim(0), x.dim(1)};
  out_shape.insert(out_shape.end(), g.output.begin(), g.output.end());
  Tensor& y = ctx.Output(0, x.dtype(), out_shape);
  Tensor* indices = ctx.wants(1) ? &ctx.Output(1, DataType::kInt64, out_shape) : nullptr;
  const bool count_pad = ctx.node.GetInt("count_include_pad", 0) != 0;
  const double p = static_cast<double>(ctx.node.GetInt("p", 2));
  const int64_t planes = x.dim(0) * x.dim(1), in_size = NumElements(g.input), out_size = NumElements(g.output);

  bool visited = VisitNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t plane = 0; plane < planes; ++plane) {
      const T* px = x.data<T>() + plane * in_size;
      ForEachPosition(g.output, [&](int64_t o, const std::vector<int64_t>& oi) {
        double acc = kKind == PoolKind::kMax ? -std::numeric_limits<double>::infinity() : 0.0;
        int64_t best = -1, count = 0, padded_count = 0;
        ForEachPosition(g.kernel, [&](int64_t, const std::vector<int64_t>& ki) {
          int64_t flat = 0;
          bool inside = true, in_padded = true;
          for (int64_t d = 0; d < rank; ++d) {
            int64_t pos = oi[d] * g.strides[d] + ki[d] * g.dilations[d] - g.pad_begin[d];
            inside = inside && pos >= 0 && pos < g.input[d];
            in_padded = in_padded && pos < g.input[d] + g.pad_end[d];
            flat = flat * g.input[d] + pos;
          }
          if (in_padded) ++padded_count;
          if (!inside) return;
          const double v = static_cast<double>(px[flat]);
          ++count;
          if constexpr (kKind == PoolKind::kMax) {
            if (v > acc || best < 0) acc = v, best = flat;
          } else if constexpr (kKind == PoolKind::kLp) {
            acc += std::pow(std::abs(v), p);
          } else {
            acc += v;
          }
        });
        if constexpr (kKind == PoolKind::kAverage) acc /= static_cast<double>(count_pad ? padded_count : count);
        if constexpr (kKind == PoolKind::kLp) acc = std::pow(acc, 1.0 / p);
        y.data<T>()[plane * out_size + o] = ConvertFromDouble<T>(acc);
        if (indices) indices->data<int64_t>()[plane * out_size + o] = plane * in_size + best;
      });
    }
  });
  return visited ? Status::Ok() : ctx.Unsupported("element type ", DataTypeName(x.dtype()));
}

template <bool kMax>
Status GlobalPool(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  if (x.rank() < 3) return ctx.Invalid("X must be N x C x spatial..., got ", ShapeToString(x.shape()));
  Shape out_shape = x.shape();
  for (size_t d = 2; d < out_shape.size(); ++d) out_shape[d] = 1;
  const int64_t planes = x.dim(0) * x.dim(1), size = x.size() / planes;
  Tensor& y = ctx.Output(0, x.dtype(), out_shape);
  bool visited = VisitNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t plane = 0; plane < planes; ++plane) {
      const T* px = x.data<T>() + plane * size;
      double acc = kMax ? static_cast<double>(px[0]) : 0.0;
      for (int64_t i = 0; i < size; ++i) acc = kMax ? std::max(acc, static_cast<double>(px[i])) : acc + px[i];
      y.data<T>()[plane] = static_cast<T>(kMax ? acc : acc / static_cast<double>(size));
    }
  });
  return visited ? Status::Ok() : ctx.Unsupported("element type ", DataTypeName(x.dtype()));
}

}  // namespace

void RegisterPoolKernels(KernelRegistry& r) {
  r.Add("MaxPool", Pool<PoolKind::kMax>);
  r.Add("AveragePool", Pool<PoolKind::kAverage>);
  r.Add("LpPool", Pool<PoolKind::kLp>);
  r.Add("GlobalAveragePool", GlobalPool<false>);
  r.Add("GlobalMaxPool", GlobalPool<true>);
}

}  // namespace qplay
