// QuantizeLinear, DequantizeLinear (per-tensor and per-axis) and DynamicQuantizeLinear,
// with ONNX Runtime's conventions: round half to even, saturate, range always holding 0.
#include <algorithm>
#include <cmath>

#include "kernels/quant_math.h"
#include "kernels/registry.h"

namespace qplay {
namespace {

// Index of the scale / zero point that applies to element i: per-tensor or along `axis`.
struct ParamIndex {
  int64_t inner = 1, dim = 1;
  bool per_axis = false;
  int64_t operator()(int64_t i) const { return per_axis ? (i / inner) % dim : 0; }
};

Result<ParamIndex> PlanParams(const KernelContext& ctx, const Tensor& x, const Tensor& scale) {
  ParamIndex p;
  if (const int64_t block = ctx.node.GetInt("block_size", 0); block != 0)
    return ctx.Unsupported("blocked quantization (block_size ", block, ")");
  if (scale.dtype() != DataType::kFloat) return ctx.Unsupported("a ", DataTypeName(scale.dtype()), " scale (float32 only)");
  if (scale.rank() == 0 || scale.size() == 1) return p;
  int64_t axis = ctx.node.GetInt("axis", 1);
  if (!NormalizeAxis(axis, x.rank())) return ctx.Invalid("axis out of range for rank ", x.rank());
  if (scale.size() != x.dim(axis))
    return ctx.Invalid("scale has ", scale.size(), " values but axis ", axis, " of X has ", x.dim(axis));
  p.per_axis = true;
  p.dim = x.dim(axis);
  for (int64_t d = axis + 1; d < x.rank(); ++d) p.inner *= x.dim(d);
  return p;
}

Status QuantizeLinear(KernelContext& ctx) {
  const Tensor &x = ctx.in(0), &scale = ctx.in(1);
  const Tensor* zp = ctx.has(2) ? &ctx.in(2) : nullptr;
  auto index = PlanParams(ctx, x, scale);
  if (!index.ok()) return index.status();
  Tensor& y = ctx.Output(0, zp ? zp->dtype() : DataType::kUint8, x.shape());
  if (x.dtype() != DataType::kFloat || scale.dtype() != DataType::kFloat)
    return ctx.Unsupported("X ", DataTypeName(x.dtype()), " with scale ", DataTypeName(scale.dtype()), " (float32 only)");
  // Divide in float32, as ONNX Runtime and the ONNX reference do, so ties round identically.
  const float *px = x.data<float>(), *ps = scale.data<float>();
  const bool stored = StoreQuantized(y, [&](int64_t i) {
    const int64_t p = (*index)(i);
    return std::nearbyint(px[i] / ps[p]) + static_cast<float>(ZeroPointAt(zp, p));
  });
  return stored ? Status::Ok() : ctx.Unsupported("output type ", DataTypeName(y.dtype()));
}

Status DequantizeLinear(KernelContext& ctx) {
  const Tensor &x = ctx.in(0), &scale = ctx.in(1);
  const Tensor* zp = ctx.has(2) ? &ctx.in(2) : nullptr;
  auto index = PlanParams(ctx, x, scale);
  if (!index.ok()) return index.status();
  Tensor& y = ctx.Output(0, scale.dtype(), x.shape());
  for (int64_t i = 0; i < x.size(); ++i) {
    const int64_t p = (*index)(i);
    y.data<float>()[i] = static_cast<float>(x.GetAsInt64(i) - ZeroPointAt(zp, p)) * scale.data<float>()[p];
  }
  return Status::Ok();
}

Status DynamicQuantizeLinear(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  if (x.dtype() != DataType::kFloat) return ctx.Unsupported("element type ", DataTypeName(x.dtype()));
  float lo = 0, hi = 0;
  for (int64_t i = 0; i < x.size(); ++i) {
    lo = std::min(lo, x.data<float>()[i]);
    hi = std::max(hi, x.data<float>()[i]);
  }
  const float scale = (hi - lo) / 255.0f;
  const float zp = DynamicZeroPoint(lo, scale);
  Tensor& y = ctx.Output(0, DataType::kUint8, x.shape());
  StoreQuantized(y, [&](int64_t i) { return scale == 0 ? zp : std::nearbyint(x.data<float>()[i] / scale) + zp; });
  ctx.SetOutput(1, Tensor::Scalar<float>(scale));
  ctx.SetOutput(2, Tensor::Scalar<uint8_t>(static_cast<uint8_t>(zp)));
  return Status::Ok();
}

}  // namespace

void RegisterQuantizeKernels(KernelRegistry& r) {
  r.Add("QuantizeLinear", QuantizeLinear);
  r.Add("DequantizeLinear", DequantizeLinear);
  r.Add("DynamicQuantizeLinear", DynamicQuantizeLinear);
  // ONNX Runtime's contrib versions, which also take 16-bit types before ai.onnx opset 21.
  r.Add("QuantizeLinear", QuantizeLinear, "com.microsoft");
  r.Add("DequantizeLinear", DequantizeLinear, "com.microsoft");
}

}  // namespace qplay
