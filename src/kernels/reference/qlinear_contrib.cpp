// ONNX Runtime's com.microsoft QLinear element-wise, activation and pooling ops
// (QLinearAdd, QLinearMul, QLinearSigmoid, QLinearLeakyRelu, QLinearSoftmax,
// QLinearAveragePool, QLinearGlobalAveragePool, QLinearConcat, QLinearWhere). QLinearAdd and QLinearMul
// follow ONNX Runtime's own arithmetic (kernels/qlinear_binary_math.h); each of the others is
// its float op on dequantized operands, requantized with round-half-to-even: the value every
// faster integer formulation (lookup tables, fixed-point ratios) approximates.
#include <cmath>

#include "kernels/broadcast.h"
#include "kernels/qlinear_binary_math.h"
#include "kernels/quant_math.h"
#include "kernels/registry.h"
#include "ops/activation.h"
#include "ops/elementwise.h"
#include "ops/normalization.h"
#include "ops/pool.h"
#include "ops/shape_ops.h"

namespace qplay {
namespace {

// Inputs of a QLinear op: the first index of each (tensor, scale, zero point) operand and of
// the output's (scale, zero point).
struct QLinearLayout {
  std::vector<size_t> operands;
  size_t output_params;
  bool leading_condition = false;  // QLinearWhere: input 0 is a bool condition, passed as it is
};

Result<Tensor> Dequantize(const KernelContext& ctx, size_t first) {
  const Tensor &q = ctx.in(first), &scale = ctx.in(first + 1);
  const Tensor* zero_point = ctx.has(first + 2) ? &ctx.in(first + 2) : nullptr;
  if (!Is8Bit(q)) return ctx.Unsupported("input ", first, " must be uint8/int8, got ", DataTypeName(q.dtype()));
  if (scale.size() != 1 || scale.dtype() != DataType::kFloat)
    return ctx.Invalid("input ", first + 1, " must be one float32 scale, got ", DataTypeName(scale.dtype()), " ",
                       ShapeToString(scale.shape()));
  Tensor real(DataType::kFloat, q.shape());
  const float s = scale.data<float>()[0];
  const int32_t zp = ZeroPointAt(zero_point, 0);
  for (int64_t i = 0; i < q.size(); ++i) real.data<float>()[i] = static_cast<float>(LoadInt8(q, i) - zp) * s;
  return real;
}

template <const OpType& kFloatOp, KernelVariant kFloatVariant = KernelVariant::kReference>
Status RunDequantized(KernelContext& ctx, const QLinearLayout& layout) {
  if (ctx.node.GetInt("channels_last", 0) != 0) return ctx.Unsupported("channels_last=1");
  std::vector<Tensor> reals;
  for (size_t first : layout.operands) {
    auto real = Dequantize(ctx, first);
    if (!real.ok()) return real.status();
    reals.push_back(std::move(*real));
  }
  std::vector<const Tensor*> inputs;
  if (layout.leading_condition) inputs.push_back(&ctx.in(0));
  for (const Tensor& t : reals) inputs.push_back(&t);

  Node float_node = ctx.node;
  SetOp(float_node, kFloatOp);
  float_node.attributes.erase("channels_last");
  float_node.attributes.erase("opset");
  // QLinearSoftmax carries the ai.onnx opset whose Softmax semantics it follows.
  KernelContext inner(float_node, ctx.node.GetInt("opset", 13), inputs, nullptr);
  QPLAY_RETURN_IF_ERROR(KernelRegistry::Get().Find("", std::string(kFloatOp.type), kFloatVariant)(inner));

  const Tensor& real = inner.outputs()[0];
  const Tensor &y_scale = ctx.in(layout.output_params);
  const Tensor* y_zp = ctx.has(layout.output_params + 1) ? &ctx.in(layout.output_params + 1) : nullptr;
  if (y_scale.size() != 1) return ctx.Invalid("the output scale must be one value, got ", ShapeToString(y_scale.shape()));
  Tensor& y = ctx.Output(0, y_zp ? y_zp->dtype() : DataType::kUint8, real.shape());
  const float s = y_scale.data<float>()[0];
  const float zp = static_cast<float>(ZeroPointAt(y_zp, 0));
  const bool stored = StoreQuantized(y, [&](int64_t i) { return std::nearbyint(real.data<float>()[i] / s) + zp; });
  return stored ? Status::Ok() : ctx.Unsupported("output type ", DataTypeName(y.dtype()));
}

// QLinearAdd and QLinearMul with ONNX Runtime's arithmetic (kernels/qlinear_binary_math.h).
template <bool kMul>
Status Binary(KernelContext& ctx) {
  const Tensor &a = ctx.in(0), &b = ctx.in(3);
  const Tensor* y_zp = ctx.has(7) ? &ctx.in(7) : nullptr;
  const DataType type = y_zp ? y_zp->dtype() : DataType::kUint8;
  if (!Is8Bit(a) || a.dtype() != b.dtype() || a.dtype() != type)
    return ctx.Unsupported("A, B and the output must share one 8-bit type, got ", DataTypeName(a.dtype()), ", ",
                           DataTypeName(b.dtype()), " and ", DataTypeName(type));
  for (size_t scale : {1, 4, 6})
    if (ctx.in(scale).size() != 1 || ctx.in(scale).dtype() != DataType::kFloat)
      return ctx.Invalid("input ", scale, " must be one float32 scale, got ", DataTypeName(ctx.in(scale).dtype()), " ",
                         ShapeToString(ctx.in(scale).shape()));
  auto shape = BroadcastShapes({a.shape(), b.shape()});
  if (!shape.ok()) return shape.status();
  const float sa = ctx.in(1).data<float>()[0], sb = ctx.in(4).data<float>()[0], sc = ctx.in(6).data<float>()[0];
  const int32_t za = ZeroPointAt(&ctx.in(2), 0), zb = ZeroPointAt(ctx.has(5) ? &ctx.in(5) : nullptr, 0), zc = ZeroPointAt(y_zp, 0);
  const QLinearAddTerms add(sa, za, sb, zb, sc, zc);
  const QLinearMulTerms mul(sa, za, sb, zb, sc, zc);
  const ScalarOperand scalar = InnermostScalarOperand(*shape, a.shape(), b.shape());
  Tensor& y = ctx.Output(0, type, *shape);
  ForEachBroadcast(*shape, {a.shape(), b.shape()}, [&](int64_t i, const int64_t* at) {
    const int32_t qa = LoadInt8(a, at[0]), qb = LoadInt8(b, at[1]);
    const float c = kMul ? mul.Product(qa, qb) : add.Sum(qa, qb, scalar);
    if (type == DataType::kUint8) y.data<uint8_t>()[i] = RoundAndSaturateLikeX86<uint8_t>(c);
    else y.data<int8_t>()[i] = RoundAndSaturateLikeX86<int8_t>(c);
  });
  return Status::Ok();
}

template <const OpType& kFloatOp, KernelVariant kFloatVariant = KernelVariant::kReference>
Status Unary(KernelContext& ctx) { return RunDequantized<kFloatOp, kFloatVariant>(ctx, {{0}, 3}); }

// QLinearWhere(condition, X, X_scale, X_zero_point, Y, Y_scale, Y_zero_point, Z_scale, Z_zero_point).
Status QLinearWhere(KernelContext& ctx) { return RunDequantized<ops::kWhere>(ctx, {{1, 4}, 7, true}); }

// QLinearConcat: Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) per input.
Status QLinearConcat(KernelContext& ctx) {
  if (ctx.num_inputs() < 5 || (ctx.num_inputs() - 2) % 3)
    return ctx.Invalid("expects Y_scale, Y_zero_point and (X, scale, zero point) triples, got ", ctx.num_inputs(), " inputs");
  QLinearLayout layout{{}, 0};
  for (size_t first = 2; first < ctx.num_inputs(); first += 3) layout.operands.push_back(first);
  return RunDequantized<ops::kConcat>(ctx, layout);
}

}  // namespace

void RegisterQLinearContribKernels(KernelRegistry& r) {
  const std::string ms(kMicrosoftDomain);
  r.Add("QLinearAdd", Binary<false>, ms);
  r.Add("QLinearMul", Binary<true>, ms);
  r.Add("QLinearSigmoid", Unary<ops::kSigmoid>, ms);
  r.Add("QLinearLeakyRelu", Unary<ops::kLeakyRelu>, ms);
  r.Add("QLinearSoftmax", Unary<ops::kSoftmax>, ms);
  r.Add("QLinearAveragePool", Unary<ops::kAveragePool>, ms);
  r.Add("QLinearGlobalAveragePool", Unary<ops::kGlobalAveragePool>, ms);
  r.Add("QLinearConcat", QLinearConcat, ms);
  r.Add("QLinearWhere", QLinearWhere, ms);
  // The same definition over the fast float Softmax (which agrees with the reference within 1e-5).
  r.Add("QLinearSoftmax", Unary<ops::kSoftmax, KernelVariant::kFast>, ms, KernelVariant::kFast);
}

}  // namespace qplay
