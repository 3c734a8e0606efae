// QuantizeLinear, DequantizeLinear (ai.onnx and com.microsoft) and DynamicQuantizeLinear.
#include "ops/quantize.h"

#include "ops/schema.h"

namespace qplay {
namespace {

std::vector<ValueInfo> QuantizeInfer(InferContext& ctx) {
  const DataType requested = ctx.node.Has("output_dtype") ? static_cast<DataType>(ctx.node.GetInt("output_dtype", 0)) : DataType::kUint8;
  return {ValueInfo::Typed(ctx.has(2) ? ctx.in(2).dtype : requested, ctx.in(0).shape)};
}

std::vector<ValueInfo> DequantizeInfer(InferContext& ctx) {
  const DataType scale = ctx.in(1).dtype;
  return {ValueInfo::Typed(scale == DataType::kUndefined ? DataType::kFloat : scale, ctx.in(0).shape)};
}

std::vector<ValueInfo> DynamicQuantizeInfer(InferContext& ctx) {
  return {ValueInfo::Typed(DataType::kUint8, ctx.in(0).shape), ValueInfo::Typed(DataType::kFloat, Dims{}),
          ValueInfo::Typed(DataType::kUint8, Dims{})};
}

// What QuantizeLinear writes: 8-bit and, for ONNX Runtime's contrib ops and opset 21, 16- and 4-bit.
const std::vector<DataType> kQuantizeOutputTypes = {DataType::kInt8,   DataType::kUint8, DataType::kInt16,
                                                    DataType::kUint16, DataType::kInt4,  DataType::kUint4};

// The quantized side's types: those, and int32 (a bias) for DequantizeLinear.
std::vector<DataType> QuantizedTypes() {
  std::vector<DataType> types = kQuantizeOutputTypes;
  types.push_back(DataType::kInt32);
  return types;
}

std::vector<int64_t> QuantizeOutputTypeCodes() {
  std::vector<int64_t> codes;
  for (DataType t : kQuantizeOutputTypes) codes.push_back(static_cast<int64_t>(t));
  return codes;
}

OpSchema QuantizePair(const std::string& op, int64_t since, const std::string& domain = "") {
  const bool quantize = op == "QuantizeLinear";
  OpSchema s(op, since, domain);
  s.Input("x", quantize ? "T1" : "T2").Input(quantize ? "y_scale" : "x_scale", "S")
      .Input(quantize ? "y_zero_point" : "x_zero_point", "T2", kOptional).Output("y", quantize ? "T2" : "T1")
      .Types("T2", QuantizedTypes()).Infer(quantize ? QuantizeInfer : DequantizeInfer);
  if (since >= 13 || !domain.empty()) s.Attr("axis", AttrType::kInt, Attribute::Int(1), AxisInRank());
  if (since >= 19 && quantize) s.Attr("saturate", AttrType::kInt, Attribute::Int(1), OneOfInts({0, 1}));
  if (since >= 21) {
    s.Attr("block_size", AttrType::kInt, Attribute::Int(0), AtLeast(0));
    if (quantize)
      s.OptionalAttr("output_dtype", AttrType::kInt, OneOfInts(QuantizeOutputTypeCodes()));
  }
  return s;
}

}  // namespace

void RegisterQuantizeSchemas(SchemaRegistry& r) {
  for (const char* op : {"QuantizeLinear", "DequantizeLinear"}) {
    for (int64_t since : {10, 13, 19, 21}) r.Add(QuantizePair(op, since));
    r.Add(QuantizePair(op, 1, "com.microsoft"));
  }
  r.Add(OpSchema("DynamicQuantizeLinear", 11).Input("x", "T1").Output("y", "T2").Output("y_scale", "T1")
            .Output("y_zero_point", "T2").Types("T1", {DataType::kFloat}).Infer(DynamicQuantizeInfer));
}

}  // namespace qplay

namespace qplay {
namespace {

bool InQdqDomain(const Node& node) { return node.domain.empty() || node.domain == "ai.onnx" || node.domain == "com.microsoft"; }

Node MakeQdqNode(const char* op, const std::string& domain, const std::string& name, std::vector<std::string> inputs,
                 const std::string& output) {
  Node n;
  n.op_type = op;
  n.domain = domain;
  n.name = name;
  n.inputs = std::move(inputs);
  n.outputs = {output};
  return n;
}

}  // namespace

bool IsQuantizeLinear(const Node& node) { return node.op_type == "QuantizeLinear" && InQdqDomain(node); }
bool IsDequantizeLinear(const Node& node) { return node.op_type == "DequantizeLinear" && InQdqDomain(node); }

Node MakeQuantizeLinear(const std::string& domain, const std::string& name, std::vector<std::string> inputs,
                        const std::string& output) {
  return MakeQdqNode("QuantizeLinear", domain, name, std::move(inputs), output);
}

Node MakeDequantizeLinear(const std::string& domain, const std::string& name, std::vector<std::string> inputs,
                          const std::string& output) {
  return MakeQdqNode("DequantizeLinear", domain, name, std::move(inputs), output);
}

}  // namespace qplay
