// Element-wise arithmetic, comparison, logic and math: broadcasting binary ops, variadic
// Sum/Mean/Min/Max, Where, and the unary math functions.
#include "ops/schema.h"

#include "ops/qlinear_contrib.h"

namespace qplay {
namespace {

// Add, Sub, Mul, Div on shape elements stay exact: numbers, or expressions such as "batch*2".
template <DimOp op>
std::vector<ValueInfo> Arithmetic(InferContext& ctx) {
  std::vector<ValueInfo> out = BroadcastInputs(ctx);
  auto a = Elements(ctx.in(0)), b = Elements(ctx.in(1));
  if (a && b && (a->size() == b->size() || b->size() == 1)) {
    Dims e;
    for (size_t i = 0; i < a->size(); ++i)
      e.push_back(DimArithmetic(op, (*a)[i], (*b)[b->size() == 1 ? 0 : i]));
    out[0].elements = e;
  }
  return out;
}

std::vector<ValueInfo> BroadcastToBool(InferContext& ctx) {
  std::vector<ValueInfo> out = BroadcastInputs(ctx);
  out[0].dtype = DataType::kBool;
  return out;
}

std::vector<ValueInfo> SameShapeBool(InferContext& ctx) { return {ValueInfo::Typed(DataType::kBool, ctx.in(0).shape)}; }

std::vector<ValueInfo> WhereInfer(InferContext& ctx) {
  std::vector<ValueInfo> out = BroadcastInputs(ctx);
  out[0].dtype = ctx.in(1).dtype;
  return out;
}

// Opsets 1-6 broadcast only with broadcast=1 and an axis; later versions broadcast like numpy.
void AddBinary(SchemaRegistry& r, const std::string& op, const std::vector<DataType>& types, InferFn infer,
               const std::string& out_type = "T", uint64_t gradient = 0, OpType qlinear_form = {}) {
  for (int64_t since : {1, 7}) {
    OpSchema s(op, since);
    s.Input("A", "T").Input("B", "T").Output("C", out_type).Types("T", types).Infer(infer).Gradient(gradient)
        .QLinearForm(qlinear_form);
    if (since == 1) s.Attr("broadcast", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1})).OptionalAttr("axis", AttrType::kInt);
    r.Add(std::move(s));
  }
}

void AddUnary(SchemaRegistry& r, const std::string& op, const std::vector<DataType>& types, uint64_t gradient = 0) {
  r.Add(OpSchema(op, 1).Input("X", "T").Output("Y", "T").Types("T", types).Infer(SameAsInput).Gradient(gradient));
}

}  // namespace

void RegisterElementwiseSchemas(SchemaRegistry& r) {
  AddBinary(r, "Sub", kNumericTypes, Arithmetic<DimOp::kSub>, "T", Inputs({0, 1}));
  AddBinary(r, "Div", kNumericTypes, Arithmetic<DimOp::kDiv>, "T", Inputs({0, 1}));
  AddBinary(r, "Add", kNumericTypes, Arithmetic<DimOp::kAdd>, "T", Inputs({0, 1}), ops::kQLinearAdd);
  AddBinary(r, "Mul", kNumericTypes, Arithmetic<DimOp::kMul>, "T", Inputs({0, 1}), ops::kQLinearMul);
  for (const char* op : {"Equal", "Less", "Greater"}) AddBinary(r, op, kAnyTensorType, BroadcastToBool, "B");
  for (const char* op : {"And", "Or", "Xor"}) AddBinary(r, op, {DataType::kBool}, BroadcastToBool, "B");
  for (const char* op : {"LessOrEqual", "GreaterOrEqual"})
    r.Add(OpSchema(op, 12).Input("A", "T").Input("B", "T").Output("C", "B").Infer(BroadcastToBool));
  r.Add(OpSchema("Mod", 10).Input("A", "T").Input("B", "T").Output("C", "T").Types("T", kNumericTypes)
            .Attr("fmod", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1})).Infer(BroadcastInputs));
  r.Add(OpSchema("Pow", 1).Input("X", "T").Input("Y", "T1").Output("Z", "T").Infer(BroadcastInputs));
  r.Add(OpSchema("BitShift", 11).Input("X", "T").Input("Y", "T").Output("Z", "T")
            .Attr("direction", AttrType::kString, std::nullopt, OneOfStrings({"LEFT", "RIGHT"}))
            .Types("T", {DataType::kUint8, DataType::kUint16, DataType::kUint32, DataType::kUint64})
            .Infer(BroadcastInputs));
  for (const char* op : {"Sum", "Mean"})
    r.Add(OpSchema(op, 1).Input("data_0", "T", kVariadic).Output("result", "T").Types("T", kNumericTypes).Infer(BroadcastInputs));
  for (const char* op : {"Min", "Max"})
    r.Add(OpSchema(op, 1).Input("data_0", "T", kVariadic).Output("result", "T").Types("T", kNumericTypes).Infer(BroadcastInputs)
              .KeptFloat32InFloat16Models());
  r.Add(OpSchema("Where", 9).Input("condition", "B").Input("X", "T").Input("Y", "T").Output("output", "T")
            .Types("B", {DataType::kBool}).Infer(WhereInfer));

  for (const char* op : {"Sqrt", "Exp", "Log", "Reciprocal", "Floor", "Ceil", "Round", "Sin", "Cos", "Tan", "Asin",
                         "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh"})
    AddUnary(r, op, kFloatTypes);
  AddUnary(r, "Erf", kNumericTypes, Inputs({0}));
  for (const char* op : {"Abs", "Neg", "Sign"}) AddUnary(r, op, kNumericTypes);
  AddUnary(r, "Not", {DataType::kBool});
  r.Add(OpSchema("IsNaN", 9).Input("X", "T").Output("Y", "B").Types("T", kFloatTypes).Infer(SameShapeBool));
  r.Add(OpSchema("IsInf", 10).Input("X", "T").Output("Y", "B").Types("T", kFloatTypes)
            .Attr("detect_negative", AttrType::kInt, Attribute::Int(1), OneOfInts({0, 1}))
            .Attr("detect_positive", AttrType::kInt, Attribute::Int(1), OneOfInts({0, 1}))
            .Infer(SameShapeBool));
}

}  // namespace qplay
