// QuantizeLinear, DequantizeLinear (per tensor, per axis and in blocks) and DynamicQuantizeLinear,
// with ONNX Runtime's conventions: round half to even, saturate, range always holding 0.
#include <algorithm>
#include <cmath>

#include "kernels/quant_math.h"
#include "kernels/registry.h"

namespace qplay {
namespace {

// Index of the scale / zero point that applies to element i: one for the tensor, one per index
// along `axis`, or (opset 21's block_size) one per block of `block` indices along `axis` at each
// position of the other axes.
struct ParamIndex {
  int64_t inner = 1, dim = 1, block = 0, blocks = 1;
  bool per_axis = false;
  int64_t operator()(int64_t i) const {
    if (!per_axis) return 0;
    const int64_t along = (i / inner) % dim;
    if (block == 0) return along;
    return ((i / inner / dim) * blocks + along / block) * inner + i % inner;
  }
};

Result<ParamIndex> PlanParams(const KernelContext& ctx, const Tensor& x, const Tensor& scale, const Tensor* zero_point) {
  ParamIndex p;
  p.block = ctx.node.GetInt("block_size", 0);
  if (scale.dtype() != DataType::kFloat) return ctx.Unsupported("a ", DataTypeName(scale.dtype()), " scale (float32 only)");
  if (p.block == 0 && (scale.rank() == 0 || scale.size() == 1)) return p;
  int64_t axis = ctx.node.GetInt("axis", 1);
  if (!NormalizeAxis(axis, x.rank())) return ctx.Invalid("axis out of range for rank ", x.rank());
  p.per_axis = true;
  p.dim = x.dim(axis);
  for (int64_t d = axis + 1; d < x.rank(); ++d) p.inner *= x.dim(d);
  if (p.block == 0) {
    if (scale.size() != x.dim(axis))
      return ctx.Invalid("scale has ", scale.size(), " values but axis ", axis, " of X has ", x.dim(axis));
    return p;
  }
  if (p.block < 0) return ctx.Invalid("block_size is ", p.block, "; it cannot be negative");
  p.blocks = (p.dim + p.block - 1) / p.block;
  Shape blocked = x.shape();
  blocked[axis] = p.blocks;
  if (scale.shape() != blocked)
    return ctx.Invalid("blocked scale must have shape ", ShapeToString(blocked), " (X's, with axis ", axis, " in blocks of ", p.block,
                       "), got ", ShapeToString(scale.shape()));
  if (zero_point && zero_point->shape() != blocked)
    return ctx.Invalid("blocked zero point must have the scale's shape ", ShapeToString(blocked), ", got ",
                       ShapeToString(zero_point->shape()));
  return p;
}

// QuantizeLinear's output type: the zero point's, else opset 21's output_dtype, else uint8.
Result<DataType> QuantizedType(const KernelContext& ctx, const Tensor* zero_point) {
  if (!ctx.node.Has("output_dtype")) return zero_point ? zero_point->dtype() : DataType::kUint8;
  const auto requested = static_cast<DataType>(ctx.node.GetInt("output_dtype", 0));
  if (zero_point && zero_point->dtype() != requested)
    return ctx.Invalid("output_dtype is ", DataTypeName(requested), " but the zero point is ", DataTypeName(zero_point->dtype()));
  return requested;
}

Status QuantizeLinear(KernelContext& ctx) {
  const Tensor &x = ctx.in(0), &scale = ctx.in(1);
  const Tensor* zp = ctx.has(2) ? &ctx.in(2) : nullptr;
  auto index = PlanParams(ctx, x, scale, zp);
  if (!index.ok()) return index.status();
  auto type = QuantizedType(ctx, zp);
  if (!type.ok()) return type.status();
  Tensor& y = ctx.Output(0, *type, x.shape());
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
  auto index = PlanParams(ctx, x, scale, zp);
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
