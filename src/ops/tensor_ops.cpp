// Ops that make or pick tensors: Cast, constants, Range, EyeLike, Gather, GatherND, ScatterND,
// ScatterElements, NonZero, OneHot, Trilu, CumSum.
#include <algorithm>
#include <cmath>

#include "ops/schema.h"
#include "ops/upgrade.h"

namespace qplay {
namespace {

std::vector<ValueInfo> CastInfer(InferContext& ctx) {
  ValueInfo out = ValueInfo::Typed(static_cast<DataType>(ctx.node.GetInt("to", 0)), ctx.in(0).shape);
  out.elements = ctx.in(0).elements;
  return {out};
}

std::vector<ValueInfo> CastLikeInfer(InferContext& ctx) { return {ValueInfo::Typed(ctx.in(1).dtype, ctx.in(0).shape)}; }

std::vector<ValueInfo> EyeLikeInfer(InferContext& ctx) {
  const DataType type = ctx.node.Has("dtype") ? static_cast<DataType>(ctx.node.GetInt("dtype", 1)) : ctx.in(0).dtype;
  return {ValueInfo::Typed(type, ctx.in(0).shape)};
}

std::vector<ValueInfo> ConstantOfShapeInfer(InferContext& ctx) {
  const DataType type = ctx.node.Has("value") ? ctx.node.attributes.at("value").t.dtype() : DataType::kFloat;
  return {ValueInfo::Typed(type, Elements(ctx.in(0)))};
}

// max(ceil((limit - start) / delta), 0) elements when the three are constants.
std::vector<ValueInfo> RangeInfer(InferContext& ctx) {
  Dim count;
  const auto &start = ctx.in(0).constant, &limit = ctx.in(1).constant, &delta = ctx.in(2).constant;
  if (start && limit && delta && start->size() == 1 && limit->size() == 1 && delta->size() == 1 && delta->GetAsDouble(0) != 0) {
    const double n = std::ceil((limit->GetAsDouble(0) - start->GetAsDouble(0)) / delta->GetAsDouble(0));
    if (n < 9e15) count = Dim::Known(n > 0 ? static_cast<int64_t>(n) : 0);
  }
  return {ValueInfo::Typed(ctx.in(0).dtype, Dims{count})};
}

// Constant is always evaluated by its kernel (graph/shape_inference folds every node whose
// inputs are all constant); nothing is known when its value cannot be read.
std::vector<ValueInfo> NothingKnown(InferContext&) { return {}; }

std::vector<ValueInfo> GatherInfer(InferContext& ctx) {
  const ValueInfo& x = ctx.in(0);
  const ValueInfo& indices = ctx.in(1);
  int64_t axis = ctx.node.GetInt("axis", 0);
  if (!x.shape || !indices.shape || !NormalizeAxis(axis, x.rank())) return ctx.Unknown(x.dtype);
  Dims out(x.shape->begin(), x.shape->begin() + axis);
  out.insert(out.end(), indices.shape->begin(), indices.shape->end());
  out.insert(out.end(), x.shape->begin() + axis + 1, x.shape->end());
  ValueInfo result = ValueInfo::Typed(x.dtype, out);
  auto data = Elements(x);
  auto idx = KnownInts(indices);
  if (data && idx && x.rank() == 1) {
    Dims picked;
    for (int64_t i : *idx) {
      const int64_t j = i < 0 ? i + static_cast<int64_t>(data->size()) : i;
      picked.push_back(j >= 0 && j < static_cast<int64_t>(data->size()) ? (*data)[j] : Dim{});
    }
    result.elements = picked;
  }
  return {result};
}

std::vector<ValueInfo> GatherElementsInfer(InferContext& ctx) { return {ValueInfo::Typed(ctx.in(0).dtype, ctx.in(1).shape)}; }

// [rank, count]: how many elements are nonzero is known only from the values.
std::vector<ValueInfo> NonZeroInfer(InferContext& ctx) {
  const int64_t rank = ctx.in(0).rank();
  return {ValueInfo::Typed(DataType::kInt64, Dims{rank >= 0 ? Dim::Known(std::max<int64_t>(rank, 1)) : Dim{}, Dim{}})};
}

// indices' shape with depth inserted at axis; values' type.
std::vector<ValueInfo> OneHotInfer(InferContext& ctx) {
  const ValueInfo &indices = ctx.in(0), &depth = ctx.in(1), &values = ctx.in(2);
  int64_t axis = ctx.node.GetInt("axis", -1);
  if (!indices.shape || !NormalizeAxis(axis, indices.rank() + 1)) return {ValueInfo::Typed(values.dtype)};
  Dims out = *indices.shape;
  const double classes = depth.constant && depth.constant->size() == 1 ? depth.constant->GetAsDouble(0) : -1;
  const bool known = classes >= 1 && classes < 9.2e18;  // a count the file gives: in int64's range, or unknown
  out.insert(out.begin() + axis, known ? Dim::Known(static_cast<int64_t>(classes)) : Dim{});
  return {ValueInfo::Typed(values.dtype, out)};
}

// indices' dims but the last, then data's dims past the batch dims and the indexed ones.
std::vector<ValueInfo> GatherNDInfer(InferContext& ctx) {
  const auto &data = ctx.in(0).shape, &indices = ctx.in(1).shape;
  const int64_t batch_dims = ctx.node.GetInt("batch_dims", 0);
  if (!data || !indices || indices->empty() || !indices->back().known()) return {ValueInfo::Typed(ctx.in(0).dtype)};
  const int64_t indexed = *indices->back().value;
  const int64_t rank = static_cast<int64_t>(data->size());
  if (indexed < 1 || batch_dims < 0 || batch_dims > rank || indexed > rank - batch_dims) return {ValueInfo::Typed(ctx.in(0).dtype)};
  Dims out(indices->begin(), indices->end() - 1);
  out.insert(out.end(), data->begin() + batch_dims + indexed, data->end());
  return {ValueInfo::Typed(ctx.in(0).dtype, out)};
}

}  // namespace

void RegisterTensorSchemas(SchemaRegistry& r) {
  r.Add(OpSchema("Cast", 1).Input("input", "T1").Output("output", "T2").Attr("to", AttrType::kInt).Infer(CastInfer)
            .Gradient(Inputs({0})));
  r.Add(OpSchema("Cast", 19).Input("input", "T1").Output("output", "T2").Attr("to", AttrType::kInt)
            .Attr("saturate", AttrType::kInt, Attribute::Int(1), OneOfInts({0, 1})).Infer(CastInfer).Gradient(Inputs({0})));
  r.Add(OpSchema("CastLike", 15).Input("input", "T1").Input("target_type", "T2").Output("output", "T2").Infer(CastLikeInfer));
  r.Add(OpSchema("Constant", 1).Output("output", "T").OptionalAttr("value", AttrType::kTensor)
            .OptionalAttr("sparse_value", AttrType::kOther).OptionalAttr("value_float", AttrType::kFloat)
            .OptionalAttr("value_floats", AttrType::kFloats).OptionalAttr("value_int", AttrType::kInt)
            .OptionalAttr("value_ints", AttrType::kInts).OptionalAttr("value_string", AttrType::kString)
            .OptionalAttr("value_strings", AttrType::kStrings).Infer(NothingKnown).NeedsNoGradient());
  r.Add(OpSchema("ConstantOfShape", 9).Input("input", "I").Output("output", "T").Types("I", {DataType::kInt64})
            .OptionalAttr("value", AttrType::kTensor).Infer(ConstantOfShapeInfer).NeedsNoGradient());
  r.Add(OpSchema("Range", 11).Input("start", "T").Input("limit", "T").Input("delta", "T").Output("output", "T")
            .Types("T", kNumericTypes).Infer(RangeInfer).NeedsNoGradient().KeptFloat32InFloat16Models());
  r.Add(OpSchema("EyeLike", 9).Input("input", "T1").Output("output", "T2").OptionalAttr("dtype", AttrType::kInt)
            .Attr("k", AttrType::kInt, Attribute::Int(0)).Infer(EyeLikeInfer));
  r.Add(OpSchema("Gather", 1).Input("data", "T").Input("indices", "I").Output("output", "T").Types("I", kIndexTypes)
            .Attr("axis", AttrType::kInt, Attribute::Int(0), AxisInRank()).Infer(GatherInfer).Gradient(Inputs({0}))
            .Quant(SharesInputParams()));
  r.Add(OpSchema("GatherElements", 11).Input("data", "T").Input("indices", "I").Output("output", "T").Types("I", kIndexTypes)
            .Attr("axis", AttrType::kInt, Attribute::Int(0), AxisInRank()).Infer(GatherElementsInfer)
            .Quant(SharesInputParams()));
  r.Add(OpSchema("GatherND", 11).Input("data", "T").Input("indices", "I").Output("output", "T")
            .Types("I", {DataType::kInt64}).Infer(GatherNDInfer).Quant(SharesInputParams()));
  r.Add(OpSchema("GatherND", 12).Input("data", "T").Input("indices", "I").Output("output", "T")
            .Types("I", {DataType::kInt64}).Attr("batch_dims", AttrType::kInt, Attribute::Int(0), AtLeast(0))
            .Infer(GatherNDInfer).Quant(SharesInputParams()));
  for (int64_t since : {11, 16, 18}) {
    std::vector<std::string> reductions = {"none"};
    if (since >= 16) reductions.insert(reductions.end(), {"add", "mul"});
    if (since >= 18) reductions.insert(reductions.end(), {"max", "min"});
    OpSchema s("ScatterND", since);
    s.Input("data", "T").Input("indices", "I").Input("updates", "T").Output("output", "T").Types("I", {DataType::kInt64})
        .Infer(SameAsInput);
    if (since >= 16) s.Attr("reduction", AttrType::kString, Attribute::String("none"), OneOfStrings(reductions));
    r.Add(std::move(s));
  }
  for (int64_t since : {11, 13, 16, 18}) {
    std::vector<std::string> reductions = {"none"};
    if (since >= 16) reductions.insert(reductions.end(), {"add", "mul"});
    if (since >= 18) reductions.insert(reductions.end(), {"max", "min"});
    OpSchema s("ScatterElements", since);
    s.Input("data", "T").Input("indices", "I").Input("updates", "T").Output("output", "T").Types("I", kIndexTypes)
        .Attr("axis", AttrType::kInt, Attribute::Int(0), AxisInRank()).Infer(SameAsInput);
    if (since >= 16) s.Attr("reduction", AttrType::kString, Attribute::String("none"), OneOfStrings(reductions));
    r.Add(std::move(s));
  }
  r.Add(OpSchema("Scatter", 9).Until(10).Input("data", "T").Input("indices", "I").Input("updates", "T").Output("output", "T")
            .Types("I", kIndexTypes).Attr("axis", AttrType::kInt, Attribute::Int(0), AxisInRank()).Infer(SameAsInput));
  for (int64_t since : {9, 13})
    r.Add(OpSchema("NonZero", since).Input("X", "T").Output("Y", "I").Infer(NonZeroInfer));
  for (int64_t since : {9, 11})
    r.Add(OpSchema("OneHot", since).Input("indices", "T1").Input("depth", "T2").Input("values", "T3").Output("output", "T3")
              .Types("T1", kNumericTypes).Types("T2", kNumericTypes).Attr("axis", AttrType::kInt, Attribute::Int(-1), AxisInRank(1))
              .Infer(OneHotInfer));
  r.Add(OpSchema("Trilu", 14).Input("input", "T").Input("k", "I", kOptional).Output("output", "T")
            .Types("I", {DataType::kInt64}).Attr("upper", AttrType::kInt, Attribute::Int(1), OneOfInts({0, 1}))
            .Infer(SameAsInput));
  r.Add(OpSchema("CumSum", 11).Input("x", "T").Input("axis", "I").Output("y", "T").Types("T", kNumericTypes)
            .Types("I", kIndexTypes).Attr("exclusive", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1}))
            .Attr("reverse", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1})).Infer(SameAsInput)
            .KeptFloat32InFloat16Models());
}

namespace {

// Scatter ends at 10; ScatterElements 11 is the same op.
Status ScatterBecomesScatterElements(UpgradeContext& ctx) {
  ctx.node().op_type = "ScatterElements";
  return Status::Ok();
}

}  // namespace

void RegisterTensorUpgrades(UpgradeRegistry& r) { r.Add("Scatter", 11, ScatterBecomesScatterElements); }

}  // namespace qplay
