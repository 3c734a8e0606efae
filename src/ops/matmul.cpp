// Matrix products: MatMul, Gemm and their integer forms (MatMulInteger, QLinearMatMul,
// com.microsoft QGemm), com.microsoft FusedMatMul, and Einsum.
#include "ops/einsum.h"
#include "ops/schema.h"

namespace qplay {
namespace {

// Numpy matmul of a [..., M, K] and b [..., K, N].
std::optional<Dims> MatMulShape(const ValueInfo& a, const ValueInfo& b) {
  if (!a.shape || !b.shape || a.shape->empty() || b.shape->empty()) return std::nullopt;
  const Dims& as = *a.shape;
  const Dims& bs = *b.shape;
  std::optional<Dims> a_batch = Dims(as.begin(), as.size() > 2 ? as.end() - 2 : as.begin());
  std::optional<Dims> b_batch = Dims(bs.begin(), bs.size() > 2 ? bs.end() - 2 : bs.begin());
  Dims out = *Broadcast({&a_batch, &b_batch});
  if (as.size() > 1) out.push_back(as[as.size() - 2]);
  if (bs.size() > 1) out.push_back(bs.back());
  return out;
}

std::vector<ValueInfo> MatMulInfer(InferContext& ctx) { return {ValueInfo::Typed(ctx.in(0).dtype, MatMulShape(ctx.in(0), ctx.in(1)))}; }
std::vector<ValueInfo> MatMulIntegerInfer(InferContext& ctx) {
  return {ValueInfo::Typed(DataType::kInt32, MatMulShape(ctx.in(0), ctx.in(1)))};
}
std::vector<ValueInfo> MatMulIntegerToFloatInfer(InferContext& ctx) {
  return {ValueInfo::Typed(DataType::kFloat, MatMulShape(ctx.in(0), ctx.in(1)))};
}
std::vector<ValueInfo> QLinearMatMulInfer(InferContext& ctx) {
  return {ValueInfo::Typed(ctx.in(7).dtype, MatMulShape(ctx.in(0), ctx.in(3)))};
}

// com.microsoft FusedMatMul: MatMul of A and B with their last two dims swapped under
// transA / transB.
std::vector<ValueInfo> FusedMatMulInfer(InferContext& ctx) {
  auto operand = [&](size_t i, const char* transposed) {
    ValueInfo v = ctx.in(i);
    if (v.shape && v.shape->size() >= 2 && ctx.node.GetInt(transposed, 0)) std::swap(v.shape->end()[-1], v.shape->end()[-2]);
    return v;
  };
  return {ValueInfo::Typed(ctx.in(0).dtype, MatMulShape(operand(0, "transA"), operand(1, "transB")))};
}

std::optional<Dims> GemmShape(const InferContext& ctx, const ValueInfo& a, const ValueInfo& b) {
  if (a.rank() != 2 || b.rank() != 2) return std::nullopt;
  const bool ta = ctx.node.GetInt("transA", 0), tb = ctx.node.GetInt("transB", 0);
  return Dims{(*a.shape)[ta ? 1 : 0], (*b.shape)[tb ? 0 : 1]};
}

std::vector<ValueInfo> GemmInfer(InferContext& ctx) { return {ValueInfo::Typed(ctx.in(0).dtype, GemmShape(ctx, ctx.in(0), ctx.in(1)))}; }

// Without y_scale QGemm writes float; with it, y_zero_point's type (uint8 when omitted).
std::vector<ValueInfo> QGemmInfer(InferContext& ctx) {
  const DataType type = !ctx.has(7) ? DataType::kFloat : ctx.has(8) ? ctx.in(8).dtype : DataType::kUint8;
  return {ValueInfo::Typed(type, GemmShape(ctx, ctx.in(0), ctx.in(3)))};
}

// MACs of a product whose data input `a` has K as its last dim (first when transA is set).
int64_t ProductMacs(const Node& node, const std::vector<Shape>& in, const std::vector<Shape>& out) {
  if (in.empty() || in[0].empty() || out.empty()) return 0;
  const bool transposed = node.GetInt("transA", 0) != 0;
  return NumElements(out[0]) * (transposed ? in[0].front() : in[0].back());
}

int64_t MatMulWeightAxis(const Node&, const Shape& w) { return w.size() >= 2 ? static_cast<int64_t>(w.size()) - 1 : -1; }
int64_t GemmWeightAxis(const Node& node, const Shape&) { return node.GetInt("transB", 0) ? 0 : 1; }

AttrCheck Flag() { return OneOfInts({0, 1}); }

// The output's dims when every input's are known (a symbolic dim leaves the output unknown).
std::vector<ValueInfo> EinsumInfer(InferContext& ctx) {
  const DataType type = ctx.in(0).dtype;
  std::vector<Shape> shapes;
  for (const ValueInfo& input : ctx.inputs()) {
    if (!input.shape) return ctx.Unknown(type);
    Shape shape;
    for (const Dim& d : *input.shape) {
      if (!d.known()) return ctx.Unknown(type);
      shape.push_back(*d.value);
    }
    shapes.push_back(std::move(shape));
  }
  auto plan = PlanEinsum(ctx.node.GetString("equation", ""), shapes);
  if (!plan.ok()) return ctx.Unknown(type);
  return {ValueInfo::Typed(type, KnownDims(Shape(plan->extents.begin(), plan->extents.begin() + plan->output_rank)))};
}

}  // namespace

void RegisterMatMulSchemas(SchemaRegistry& r) {
  r.Add(OpSchema("Einsum", 12).Input("Inputs", "T", kVariadic).Output("Output", "T").Types("T", kNumericTypes)
            .Attr("equation", AttrType::kString).Infer(EinsumInfer));
  r.Add(OpSchema("MatMul", 1).Input("A", "T").Input("B", "T").Output("Y", "T").Types("T", kNumericTypes)
            .Infer(MatMulInfer).Macs(ProductMacs).Quant(Weighted(1, MatMulWeightAxis, -1)).Gradient(Inputs({0, 1})));
  r.Add(OpSchema("Gemm", 1).Input("A", "T").Input("B", "T").Input("C", "T", kOptional).Output("Y", "T")
            .Types("T", kNumericTypes).Attr("alpha", AttrType::kFloat, Attribute::Float(1))
            .Attr("beta", AttrType::kFloat, Attribute::Float(1)).Attr("transA", AttrType::kInt, Attribute::Int(0), Flag())
            .Attr("transB", AttrType::kInt, Attribute::Int(0), Flag()).OptionalAttr("broadcast", AttrType::kInt)
            .Infer(GemmInfer).Macs(ProductMacs).Quant(Weighted(1, GemmWeightAxis, 2)).Gradient(Inputs({0, 1, 2})));
  r.Add(OpSchema("FusedMatMul", 1, std::string(kMicrosoftDomain)).Input("A", "T").Input("B", "T").Output("Y", "T")
            .Types("T", {DataType::kFloat}).Attr("alpha", AttrType::kFloat, Attribute::Float(1))
            .Attr("transA", AttrType::kInt, Attribute::Int(0), Flag()).Attr("transB", AttrType::kInt, Attribute::Int(0), Flag())
            .Attr("transBatchA", AttrType::kInt, Attribute::Int(0), Flag()).Attr("transBatchB", AttrType::kInt, Attribute::Int(0), Flag())
            .Infer(FusedMatMulInfer));
  r.Add(OpSchema("MatMulInteger", 10).Input("A", "T1").Input("B", "T2").Input("a_zero_point", "T1", kOptional)
            .Input("b_zero_point", "T2", kOptional).Output("Y", "T3").Types("T1", kInt8Types).Types("T2", kInt8Types)
            .Infer(MatMulIntegerInfer).Macs(ProductMacs));
  // ONNX Runtime's fusion of quantize_dynamic's MatMulInteger, Cast and scale Mul (and a bias).
  r.Add(OpSchema("MatMulIntegerToFloat", 1, std::string(kMicrosoftDomain)).Input("A", "T1").Input("B", "T2")
            .Input("a_scale", "T3").Input("b_scale", "T3").Input("a_zero_point", "T1", kOptional)
            .Input("b_zero_point", "T2", kOptional).Input("bias", "T3", kOptional).Output("Y", "T3").Types("T1", kInt8Types)
            .Types("T2", kInt8Types).Types("T3", {DataType::kFloat}).Infer(MatMulIntegerToFloatInfer).Macs(ProductMacs));
  r.Add(OpSchema("QLinearMatMul", 10).Input("a", "T1").Input("a_scale", "S").Input("a_zero_point", "T1")
            .Input("b", "T2").Input("b_scale", "S").Input("b_zero_point", "T2").Input("y_scale", "S")
            .Input("y_zero_point", "T3").Output("y", "T3").Types("T1", kInt8Types).Types("T2", kInt8Types)
            .Types("T3", kInt8Types).Infer(QLinearMatMulInfer).Macs(ProductMacs));
  r.Add(OpSchema("QGemm", 1, "com.microsoft").Input("A", "TA").Input("a_scale", "S").Input("a_zero_point", "TA")
            .Input("B", "TB").Input("b_scale", "S").Input("b_zero_point", "TB").Input("C", "TC", kOptional)
            .Input("y_scale", "S", kOptional).Input("y_zero_point", "TY", kOptional).Output("Y", "TY")
            .Types("TA", kInt8Types).Types("TB", kInt8Types).Attr("alpha", AttrType::kFloat, Attribute::Float(1))
            .Attr("transA", AttrType::kInt, Attribute::Int(0), Flag()).Attr("transB", AttrType::kInt, Attribute::Int(0), Flag())
            .Infer(QGemmInfer).Macs(ProductMacs));
}

}  // namespace qplay
