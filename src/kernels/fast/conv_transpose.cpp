// Fast ConvTranspose for 2-D float inputs. Per image and group, one GEMM of the transposed
// weights (packed once per session when they are an initializer) and the group's input channels
// gives each output channel's contribution from each kernel tap at each input position; col2im
// then adds those into the output at position x stride + tap x dilation - pad, and the bias
// follows. The sums run in another order than the reference's, so the two agree within 1e-5 of
// the output's largest magnitude (tests/fast_kernels_test.cpp). Other ranks go to the reference.
#include <algorithm>

#include "kernels/conv_geometry.h"
#include "kernels/registry.h"
#include "kernels/simd/f32_gemm.h"

namespace qplay {
namespace {

// W [C, M/group, kh, kw] as one row-major [M/group x kh x kw, C/group] matrix per group.
std::vector<float> TransposedWeights(const Tensor& w, const TransposedConvShape& s) {
  const int64_t rows = w.size() / s.in_channels, cpg = s.in_per_group;
  std::vector<float> t(static_cast<size_t>(w.size()));
  for (int64_t g = 0; g < s.group; ++g)
    for (int64_t c = 0; c < cpg; ++c)
      for (int64_t r = 0; r < rows; ++r) t[(g * rows + r) * cpg + c] = w.data<float>()[(g * cpg + c) * rows + r];
  return t;
}

// Adds the columns [M/group x kh x kw, H x W] into the group's output planes [M/group, OH, OW].
void AddColumns(const float* columns, const TransposedConvShape& s, float* out) {
  const int64_t h = s.input[0], w = s.input[1], oh = s.output[0], ow = s.output[1], kh = s.kernel[0], kw = s.kernel[1];
  for (int64_t m = 0; m < s.out_per_group; ++m)
    for (int64_t ky = 0; ky < kh; ++ky)
      for (int64_t kx = 0; kx < kw; ++kx) {
        const float* column = columns + ((m * kh + ky) * kw + kx) * h * w;
        float* plane = out + m * oh * ow;
        const int64_t shift = kx * s.dilations[1] - s.pads[1];  // ox = ix * stride + shift
        int64_t first = 0, last = w;
        while (first < last && first * s.strides[1] + shift < 0) ++first;
        while (last > first && (last - 1) * s.strides[1] + shift >= ow) --last;
        for (int64_t iy = 0; iy < h; ++iy) {
          const int64_t oy = iy * s.strides[0] + ky * s.dilations[0] - s.pads[0];
          if (oy < 0 || oy >= oh) continue;
          const float* src = column + iy * w;
          float* row = plane + oy * ow;
          for (int64_t ix = first; ix < last; ++ix) row[ix * s.strides[1] + shift] += src[ix];
        }
      }
}

Status ConvTranspose(KernelContext& ctx) {
  const Tensor &x = ctx.in(0), &w = ctx.in(1);
  if (x.rank() != 4 || x.dtype() != DataType::kFloat || w.dtype() != DataType::kFloat) return RunReferenceKernel(ctx);
  auto s = PlanConvTranspose(ctx, x, w);
  if (!s.ok()) return s.status();
  const int64_t in_size = s->input[0] * s->input[1], out_size = s->output[0] * s->output[1];
  const int64_t rows = s->out_per_group * s->kernel[0] * s->kernel[1], cpg = s->in_per_group;
  QPLAY_RETURN_IF_ERROR(ctx.CheckOutputSize(DataType::kFloat, {rows, in_size}));
  auto transposed = ctx.Derived<std::vector<float>>(ctx.constant(1), [&] { return TransposedWeights(w, *s); });
  Tensor& y = ctx.OutputToOverwrite(0, DataType::kFloat, s->OutputShape());
  std::fill(y.data<float>(), y.data<float>() + y.size(), 0.0f);
  std::vector<float> columns(static_cast<size_t>(rows * in_size));
  for (int64_t b = 0; b < s->batch; ++b)
    for (int64_t g = 0; g < s->group; ++g) {
      const F32PackedB channels = PackF32B(x.data<float>() + (b * s->in_channels + g * cpg) * in_size, cpg, in_size, in_size, 1);
      f32_gemm_4x8__wasmsimd(rows, transposed->data() + g * rows * cpg, cpg, channels, columns.data(), in_size, {});
      AddColumns(columns.data(), *s, y.data<float>() + (b * s->out_channels + g * s->out_per_group) * out_size);
    }
  if (ctx.has(2))
    for (int64_t b = 0; b < s->batch; ++b)
      for (int64_t m = 0; m < s->out_channels; ++m) {
        float* plane = y.data<float>() + (b * s->out_channels + m) * out_size;
        const float bias = ctx.in(2).data<float>()[m];
        for (int64_t i = 0; i < out_size; ++i) plane[i] += bias;
      }
  return Status::Ok();
}

}  // namespace

void RegisterFastConvTransposeKernels(KernelRegistry& r) { r.Add("ConvTranspose", ConvTranspose, "", KernelVariant::kFast); }

}  // namespace qplay
