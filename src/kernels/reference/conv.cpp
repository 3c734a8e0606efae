// Convolutions: Conv, ConvTranspose, and the integer forms ConvInteger and QLinearConv.
// Any number of spatial dims, groups, dilations, strides and pads.
#include <tuple>

#include "kernels/conv_geometry.h"
#include "kernels/fused_activation.h"
#include "kernels/quant_math.h"
#include "kernels/registry.h"

namespace qplay {
namespace {

// acc = init(m) + sum over the window of load_x(x_offset) * load_w(w_offset, m); store(y_offset, acc, m).
template <typename Acc, typename LoadX, typename LoadW, typename Init, typename Store>
void ConvLoop(const ConvShape& s, LoadX load_x, LoadW load_w, Init init, Store store) {
  const WindowGeometry& g = s.window;
  const int64_t rank = g.spatial_rank();
  const int64_t in_size = NumElements(g.input), out_size = NumElements(g.output), k_size = NumElements(g.kernel);
  const int64_t cpg = s.in_channels / s.group, mpg = s.out_channels / s.group;
  std::vector<std::vector<int64_t>> kernel_offsets;
  ForEachPosition(g.kernel, [&](int64_t, const std::vector<int64_t>& k) {
    std::vector<int64_t> off(rank);
    for (int64_t d = 0; d < rank; ++d) off[d] = k[d] * g.dilations[d];
    kernel_offsets.push_back(off);
  });
  // For each output position, the (kernel offset, input offset) pairs that fall inside the
  // input: computed once per position, shared by every channel and batch.
  std::vector<std::vector<std::pair<int64_t, int64_t>>> taps(static_cast<size_t>(out_size));
  std::vector<int64_t> base(rank);
  ForEachPosition(g.output, [&](int64_t o, const std::vector<int64_t>& oi) {
    for (int64_t d = 0; d < rank; ++d) base[d] = oi[d] * g.strides[d] - g.pad_begin[d];
    for (int64_t k = 0; k < k_size; ++k) {
      int64_t flat = 0;
      bool inside = true;
      for (int64_t d = 0; d < rank && inside; ++d) {
        const int64_t p = base[d] + kernel_offsets[k][d];
        inside = p >= 0 && p < g.input[d];
        flat = flat * g.input[d] + p;
      }
      if (inside) taps[o].emplace_back(k, flat);
    }
  });
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t m = 0; m < s.out_channels; ++m) {
      const int64_t grp = m / mpg;
      for (int64_t o = 0; o < out_size; ++o) {
        Acc acc = init(m);
        for (int64_t cc = 0; cc < cpg; ++cc) {
          const int64_t x_channel = (b * s.in_channels + grp * cpg + cc) * in_size;
          const int64_t w_channel = (m * cpg + cc) * k_size;
          for (const auto& [k, flat] : taps[o])
            acc += static_cast<Acc>(load_x(x_channel + flat)) * static_cast<Acc>(load_w(w_channel + k, m));
        }
        store((b * s.out_channels + m) * out_size + o, acc, m);
      }
    }
}

Status Conv(KernelContext& ctx) {
  const Tensor &x = ctx.in(0), &w = ctx.in(1);
  if (x.dtype() != DataType::kFloat && x.dtype() != DataType::kDouble)
    return ctx.Unsupported("element type ", DataTypeName(x.dtype()));
  auto s = PlanConv(ctx, x, w);
  if (!s.ok()) return s.status();
  Tensor& y = ctx.Output(0, x.dtype(), s->OutputShape());
  const Tensor* bias = ctx.has(2) ? &ctx.in(2) : nullptr;
  VisitNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      const T *px = x.data<T>(), *pw = w.data<T>();
      T* py = y.data<T>();
      ConvLoop<T>(*s, [px](int64_t i) { return px[i]; }, [pw](int64_t i, int64_t) { return pw[i]; },
                  [bias](int64_t m) { return bias ? bias->data<T>()[m] : T(0); },
                  [py](int64_t i, T acc, int64_t) { py[i] = acc; });
    }
  });
  return Status::Ok();
}

// com.microsoft FusedConv: Conv, then activation(y + Z) (kernels/fused_activation.h).
Status FusedConv(KernelContext& ctx) {
  auto activation = FusedActivation::Of(ctx.node);
  if (!activation.ok()) return activation.status();
  QPLAY_RETURN_IF_ERROR(Conv(ctx));
  Tensor& y = ctx.outputs()[0];
  auto sum = FusedConvSum(ctx, y.shape());
  if (!sum.ok()) return sum.status();
  activation->Apply(y.data<float>(), *sum, y.data<float>(), y.size());
  return Status::Ok();
}

Status ConvInteger(KernelContext& ctx) {
  const Tensor &x = ctx.in(0), &w = ctx.in(1);
  if (!Is8Bit(x) || !Is8Bit(w)) return ctx.Unsupported("X and W must be uint8/int8");
  auto s = PlanConv(ctx, x, w);
  if (!s.ok()) return s.status();
  const int32_t x_zp = ZeroPointAt(ctx.has(2) ? &ctx.in(2) : nullptr, 0);
  const Tensor* w_zp = ctx.has(3) ? &ctx.in(3) : nullptr;
  Tensor& y = ctx.Output(0, DataType::kInt32, s->OutputShape());
  int32_t* py = y.data<int32_t>();
  // Padding contributes zero *after* zero-point subtraction, as ONNX Runtime pads with x_zero_point.
  ConvLoop<int32_t>(*s, [&](int64_t i) { return LoadInt8(x, i) - x_zp; },
                    [&](int64_t i, int64_t m) { return LoadInt8(w, i) - ZeroPointAt(w_zp, m); },
                    [](int64_t) { return 0; }, [py](int64_t i, int32_t acc, int64_t) { py[i] = acc; });
  return Status::Ok();
}

Status QLinearConv(KernelContext& ctx) {
  const Tensor &x = ctx.in(0), &w = ctx.in(3), &y_zp = ctx.in(7);
  if (!Is8Bit(x) || !Is8Bit(w)) return ctx.Unsupported("X and W must be uint8/int8");
  auto s = PlanConv(ctx, x, w);
  if (!s.ok()) return s.status();
  const float x_scale = ctx.in(1).data<float>()[0], y_scale = ctx.in(6).data<float>()[0];
  const int32_t x_zp = ZeroPointAt(&ctx.in(2), 0), out_zp = ZeroPointAt(&y_zp, 0);
  const Tensor &w_scale = ctx.in(4), &w_zp = ctx.in(5);
  const Tensor* bias = ctx.has(8) ? &ctx.in(8) : nullptr;
  Tensor& y = ctx.Output(0, y_zp.dtype(), s->OutputShape());
  std::vector<float> real(static_cast<size_t>(y.size()));
  ConvLoop<int32_t>(*s, [&](int64_t i) { return LoadInt8(x, i) - x_zp; },
                    [&](int64_t i, int64_t m) { return LoadInt8(w, i) - ZeroPointAt(&w_zp, m); },
                    [bias](int64_t m) { return bias ? bias->data<int32_t>()[m] : 0; },
                    [&](int64_t i, int32_t acc, int64_t m) {
                      const float multiplier = x_scale * w_scale.data<float>()[w_scale.size() == 1 ? 0 : m] / y_scale;
                      real[i] = std::nearbyint(static_cast<float>(acc) * multiplier) + static_cast<float>(out_zp);
                    });
  StoreQuantized(y, [&](int64_t i) { return real[i]; });
  return Status::Ok();
}

Status ConvTranspose(KernelContext& ctx) {
  const Tensor &x = ctx.in(0), &w = ctx.in(1);
  auto s = PlanConvTranspose(ctx, x, w);
  if (!s.ok()) return s.status();
  const int64_t rank = s->rank, batch = s->batch, channels = s->in_channels, out_channels = s->out_channels;
  const int64_t mpg = s->out_per_group, cpg = s->in_per_group;
  const Shape &in = s->input, &kernel = s->kernel, &strides = s->strides, &dilations = s->dilations, &pads = s->pads, &out = s->output;
  Tensor& y = ctx.Output(0, DataType::kFloat, s->OutputShape());
  const float *px = x.data<float>(), *pw = w.data<float>();
  float* py = y.data<float>();
  const int64_t in_size = NumElements(in), out_size = NumElements(out), k_size = NumElements(kernel);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t c = 0; c < channels; ++c) {
      const int64_t grp = c / cpg;
      ForEachPosition(in, [&](int64_t i, const std::vector<int64_t>& ii) {
        const float xv = px[(b * channels + c) * in_size + i];
        ForEachPosition(kernel, [&](int64_t k, const std::vector<int64_t>& ki) {
          int64_t flat = 0;
          for (int64_t d = 0; d < rank; ++d) {
            int64_t p = ii[d] * strides[d] + ki[d] * dilations[d] - pads[d];
            if (p < 0 || p >= out[d]) return;
            flat = flat * out[d] + p;
          }
          for (int64_t mm = 0; mm < mpg; ++mm)
            py[(b * out_channels + grp * mpg + mm) * out_size + flat] += xv * pw[(c * mpg + mm) * k_size + k];
        });
      });
    }
  if (ctx.has(2))
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t m = 0; m < out_channels; ++m)
        for (int64_t i = 0; i < out_size; ++i) py[(b * out_channels + m) * out_size + i] += ctx.in(2).data<float>()[m];
  return Status::Ok();
}

}  // namespace

void RegisterConvKernels(KernelRegistry& r) {
  r.Add("Conv", Conv);
  r.Add("ConvTranspose", ConvTranspose);
  r.Add("ConvInteger", ConvInteger);
  r.Add("QLinearConv", QLinearConv);
  r.Add("FusedConv", FusedConv, "com.microsoft");
}

}  // namespace qplay
