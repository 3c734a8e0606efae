// ONNX Runtime's com.microsoft QLinear element-wise, activation, pooling and concat ops: each
// operand is (tensor, scale, zero point), and the output's type is its zero point's.
#include "ops/schema.h"
#include "ops/window.h"

namespace qplay {
namespace {

DataType OutputType(const InferContext& ctx, size_t zero_point) {
  return ctx.has(zero_point) ? ctx.in(zero_point).dtype : DataType::kUint8;
}

std::vector<ValueInfo> BinaryInfer(InferContext& ctx) {
  return {ValueInfo::Typed(OutputType(ctx, 7), Broadcast({&ctx.in(0).shape, &ctx.in(3).shape}))};
}
std::vector<ValueInfo> UnaryInfer(InferContext& ctx) { return {ValueInfo::Typed(OutputType(ctx, 4), ctx.in(0).shape)}; }
std::vector<ValueInfo> AveragePoolInfer(InferContext& ctx) {
  std::vector<ValueInfo> out = WindowedInfer(ctx, OutputType(ctx, 4), nullptr);
  out.resize(1);
  return out;
}
std::vector<ValueInfo> GlobalPoolInfer(InferContext& ctx) {
  ValueInfo out = ValueInfo::Typed(OutputType(ctx, 4), ctx.in(0).shape);
  if (out.shape)
    for (size_t d = 2; d < out.shape->size(); ++d) (*out.shape)[d] = Dim::Known(1);
  return {out};
}
std::vector<ValueInfo> ConcatInfer(InferContext& ctx) { return {ValueInfo::Typed(ctx.in(1).dtype)}; }
std::vector<ValueInfo> WhereInfer(InferContext& ctx) {
  return {ValueInfo::Typed(OutputType(ctx, 8), Broadcast({&ctx.in(0).shape, &ctx.in(1).shape, &ctx.in(4).shape}))};
}

OpSchema Quantized(const std::string& op) {
  OpSchema s(op, 1, "com.microsoft");
  s.Types("T", kInt8Types);
  return s;
}

OpSchema& Operand(OpSchema& s, const std::string& name, int flags = kRequired) {
  return s.Input(name, "T", flags).Input(name + "_scale", "S", flags).Input(name + "_zero_point", "T", kOptional);
}

OpSchema Unary(const std::string& op) {
  OpSchema s = Quantized(op);
  Operand(s, "X").Input("Y_scale", "S").Input("Y_zero_point", "T", kOptional).Output("Y", "T").Infer(UnaryInfer);
  return s;
}

}  // namespace

void RegisterQLinearContribSchemas(SchemaRegistry& r) {
  for (const char* op : {"QLinearAdd", "QLinearMul"}) {
    OpSchema s = Quantized(op);
    Operand(Operand(s, "A"), "B").Input("C_scale", "S").Input("C_zero_point", "T", kOptional).Output("C", "T").Infer(BinaryInfer);
    r.Add(std::move(s));
  }
  r.Add(Unary("QLinearSigmoid"));
  r.Add(Unary("QLinearLeakyRelu").Attr("alpha", AttrType::kFloat, Attribute::Float(0.01f)));
  r.Add(Unary("QLinearSoftmax").Attr("axis", AttrType::kInt, Attribute::Int(-1), AxisInRank()).Attr("opset", AttrType::kInt));
  OpSchema pool = Unary("QLinearAveragePool");
  WindowAttrs(pool, false).Attr("ceil_mode", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1}))
      .Attr("count_include_pad", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1}))
      .Attr("channels_last", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1})).Infer(AveragePoolInfer);
  r.Add(std::move(pool));
  r.Add(Unary("QLinearGlobalAveragePool").Attr("channels_last", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1}))
            .Infer(GlobalPoolInfer));
  OpSchema where = Quantized("QLinearWhere");
  where.Input("condition", "B").Types("B", {DataType::kBool});
  Operand(Operand(where, "X"), "Y").Input("Z_scale", "S").Input("Z_zero_point", "T").Output("Z", "T").Infer(WhereInfer);
  r.Add(std::move(where));
  // Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) per input: types differ within the variadic list.
  r.Add(OpSchema("QLinearConcat", 1, "com.microsoft").Input("Y_scale", "S").Input("Y_zero_point", "T")
            .Input("inputs", "", kVariadic).Output("Y", "T").Types("T", kInt8Types)
            .Attr("axis", AttrType::kInt, std::nullopt).Infer(ConcatInfer));
}

}  // namespace qplay
