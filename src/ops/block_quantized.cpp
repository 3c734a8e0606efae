// ONNX Runtime's com.microsoft ops on weights stored in 2..8-bit blocks with scales: MatMulNBits
// (A times the weights) and GatherBlockQuantized (rows of an embedding table, dequantized).
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

// data's shape with the gathered axis replaced by the indices' shape; the last axis holds
// 8 / bits values per uint8.
std::vector<ValueInfo> GatherBlockQuantizedInfer(InferContext& ctx) {
  const ValueInfo &data = ctx.in(0), &indices = ctx.in(1);
  const DataType type = ctx.in(2).dtype;
  if (!data.shape || !indices.shape || data.shape->size() < 2) return ctx.Unknown(type);
  const int64_t components = 8 / ctx.node.GetInt("bits", 4);
  Dims out = *indices.shape;
  out.insert(out.end(), data.shape->begin() + 1, data.shape->end());
  out.back() = out.back().known() && components > 0 ? Dim::Known(*out.back().value * components) : Dim{};
  return {ValueInfo::Typed(type, out)};
}

}  // namespace

void RegisterBlockQuantizedSchemas(SchemaRegistry& r) {
  r.Add(OpSchema("MatMulNBits", 1, "com.microsoft").Input("A", "T1").Input("B", "T2").Input("scales", "T1")
            .Input("zero_points", "T3", kOptional).Input("g_idx", "T4", kOptional).Input("bias", "T1", kOptional)
            .Output("Y", "T1").Attr("K", AttrType::kInt, std::nullopt, AtLeast(1))
            .Attr("N", AttrType::kInt, std::nullopt, AtLeast(1)).Attr("bits", AttrType::kInt, Attribute::Int(4), AtLeast(1))
            .Attr("block_size", AttrType::kInt, std::nullopt, AtLeast(16)).OptionalAttr("accuracy_level", AttrType::kInt)
            .Types("T2", {DataType::kUint8}).Infer(MatMulNBitsInfer).Macs(MatMulNBitsMacs));
  r.Add(OpSchema("GatherBlockQuantized", 1, "com.microsoft").Input("data", "T1").Input("indices", "Tind").Input("scales", "T2")
            .Input("zero_points", "T1", kOptional).Output("output", "T2").Types("T1", {DataType::kUint8})
            .Types("Tind", {DataType::kInt32, DataType::kInt64}).Types("T2", {DataType::kFloat})
            .Attr("gather_axis", AttrType::kInt, Attribute::Int(0)).Attr("quantize_axis", AttrType::kInt, Attribute::Int(1))
            .Attr("block_size", AttrType::kInt, Attribute::Int(128), AtLeast(16))
            .Attr("bits", AttrType::kInt, Attribute::Int(4), OneOfInts({2, 4, 8})).Infer(GatherBlockQuantizedInfer));
}

}  // namespace qplay
