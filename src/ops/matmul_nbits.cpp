// ONNX Runtime's com.microsoft MatMulNBits: A times B stored in 2..8-bit blocks with scales.
#include "ops/schema.h"

namespace qplay {
namespace {

std::vector<ValueInfo> MatMulNBitsInfer(InferContext& ctx) {
  const ValueInfo& a = ctx.in(0);
  if (!a.shape || a.shape->empty()) return ctx.Unknown(a.dtype);
  Dims out = *a.shape;
  out.back() = Dim::Known(ctx.node.GetInt("N", 0));
  return {ValueInfo::Typed(a.dtype, out)};
}

int64_t MatMulNBitsMacs(const Node&, const std::vector<Shape>& in, const std::vector<Shape>& out) {
  return in.empty() || in[0].empty() || out.empty() ? 0 : NumElements(out[0]) * in[0].back();
}

}  // namespace

void RegisterMatMulNBitsSchemas(SchemaRegistry& r) {
  r.Add(OpSchema("MatMulNBits", 1, "com.microsoft").Input("A", "T1").Input("B", "T2").Input("scales", "T1")
            .Input("zero_points", "T3", kOptional).Input("g_idx", "T4", kOptional).Input("bias", "T1", kOptional)
            .Output("Y", "T1").Attr("K", AttrType::kInt, std::nullopt, AtLeast(1))
            .Attr("N", AttrType::kInt, std::nullopt, AtLeast(1)).Attr("bits", AttrType::kInt, Attribute::Int(4), AtLeast(1))
            .Attr("block_size", AttrType::kInt, std::nullopt, AtLeast(16)).OptionalAttr("accuracy_level", AttrType::kInt)
            .Types("T2", {DataType::kUint8}).Infer(MatMulNBitsInfer).Macs(MatMulNBitsMacs));
}

}  // namespace qplay
