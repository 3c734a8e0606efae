// Reductions over axes (ReduceSum, ReduceMean, ...), ArgMax/ArgMin and TopK.
#include <set>

#include "ops/schema.h"
#include "ops/upgrade.h"

namespace qplay {
namespace {

// The version at which a reduction's axes moved from an attribute to an input.
int64_t AxesInputSince(const std::string& op) { return op == "ReduceSum" ? 13 : 18; }

std::vector<ValueInfo> ReduceInfer(InferContext& ctx) {
  const std::string& op = ctx.node.op_type;
  const bool arg = op == "ArgMax" || op == "ArgMin";
  const ValueInfo& x = ctx.in(0);
  const DataType type = arg ? DataType::kInt64 : x.dtype;
  if (!x.shape) return ctx.Unknown(type);
  const int64_t rank = x.rank();
  const bool keep = ctx.node.GetInt("keepdims", 1) != 0;
  auto axes = arg ? std::optional<std::vector<int64_t>>(std::vector<int64_t>{ctx.node.GetInt("axis", 0)})
                  : ListInputOrAttr(ctx, 1, "axes", AxesInputSince(op));
  if (!axes) return ctx.Unknown(type);
  const bool noop = axes->empty() && ctx.node.GetInt("noop_with_empty_axes", 0);
  if (noop) return {ValueInfo::Typed(type, x.shape)};
  std::set<int64_t> reduced;
  for (int64_t a : *axes) reduced.insert(a < 0 ? a + rank : a);
  Dims out;
  for (int64_t d = 0; d < rank; ++d) {
    if (axes->empty() || reduced.count(d)) {
      if (keep) out.push_back(Dim::Known(1));
    } else {
      out.push_back((*x.shape)[d]);
    }
  }
  return {ValueInfo::Typed(type, out)};
}

// Values and indices: the input's shape with the axis cut to k (an attribute before opset 10,
// then an input).
std::vector<ValueInfo> TopKInfer(InferContext& ctx) {
  const ValueInfo& x = ctx.in(0);
  std::vector<ValueInfo> unknown{ValueInfo::Typed(x.dtype), ValueInfo::Typed(DataType::kInt64)};
  int64_t axis = ctx.node.GetInt("axis", -1);
  if (!x.shape || !NormalizeAxis(axis, x.rank())) return unknown;
  std::optional<int64_t> k;
  if (!ctx.has(1)) k = ctx.node.GetInt("k", -1);
  else if (auto ks = KnownInts(ctx.in(1)); ks && ks->size() == 1) k = (*ks)[0];
  Dims out = *x.shape;
  out[axis] = k && *k >= 0 ? Dim::Known(*k) : Dim{};
  return {ValueInfo::Typed(x.dtype, out), ValueInfo::Typed(DataType::kInt64, out)};
}

void AddReduce(SchemaRegistry& r, const std::string& op, uint64_t gradient = 0) {
  const Attribute keep = Attribute::Int(1);
  r.Add(OpSchema(op, 1).Input("data", "T").Output("reduced", "T").Types("T", kNumericTypes)
            .OptionalAttr("axes", AttrType::kInts, AxesInRank()).Attr("keepdims", AttrType::kInt, keep, OneOfInts({0, 1}))
            .Infer(ReduceInfer).Gradient(gradient));
  r.Add(OpSchema(op, AxesInputSince(op)).Input("data", "T").Input("axes", "I", kOptional).Output("reduced", "T")
            .Types("T", kNumericTypes).Types("I", {DataType::kInt64})
            .Attr("keepdims", AttrType::kInt, keep, OneOfInts({0, 1}))
            .Attr("noop_with_empty_axes", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1}))
            .Infer(ReduceInfer).Gradient(gradient));
}

}  // namespace

void RegisterReduceSchemas(SchemaRegistry& r) {
  AddReduce(r, "ReduceSum", Inputs({0}));
  AddReduce(r, "ReduceMean", Inputs({0}));
  for (const char* op : {"ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
                         "ReduceSumSquare"})
    AddReduce(r, op);
  for (const char* op : {"ArgMax", "ArgMin"})
    r.Add(OpSchema(op, 1).Input("data", "T").Output("reduced", "I").Types("T", kNumericTypes)
              .Attr("axis", AttrType::kInt, Attribute::Int(0), AxisInRank())
              .Attr("keepdims", AttrType::kInt, Attribute::Int(1), OneOfInts({0, 1}))
              .Attr("select_last_index", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1})).Infer(ReduceInfer));
  r.Add(OpSchema("TopK", 1).Input("X", "T").Output("Values", "T").Output("Indices", "I").Types("T", kNumericTypes)
            .Attr("axis", AttrType::kInt, Attribute::Int(-1), AxisInRank()).Attr("k", AttrType::kInt, std::nullopt, AtLeast(0))
            .Infer(TopKInfer).Quant(SharesInputParams()).KeptFloat32InFloat16Models());
  r.Add(OpSchema("TopK", 10).Input("X", "T").Input("K", "I").Output("Values", "T").Output("Indices", "I")
            .Types("T", kNumericTypes).Types("I", {DataType::kInt64}).Attr("axis", AttrType::kInt, Attribute::Int(-1), AxisInRank())
            .Infer(TopKInfer).Quant(SharesInputParams()).KeptFloat32InFloat16Models());
  r.Add(OpSchema("TopK", 11).Input("X", "T").Input("K", "I").Output("Values", "T").Output("Indices", "I")
            .Types("T", kNumericTypes).Types("I", {DataType::kInt64}).Attr("axis", AttrType::kInt, Attribute::Int(-1), AxisInRank())
            .Attr("largest", AttrType::kInt, Attribute::Int(1), OneOfInts({0, 1}))
            .Attr("sorted", AttrType::kInt, Attribute::Int(1), OneOfInts({0, 1})).Infer(TopKInfer).Quant(SharesInputParams()).KeptFloat32InFloat16Models());
}

namespace {

Status ReduceAxesToInput(UpgradeContext& ctx) {
  IntsAttributeToInput(ctx, "axes", 1);
  return Status::Ok();
}

Status TopKCountToInput(UpgradeContext& ctx) {
  IntsAttributeToInput(ctx, "k", 1);
  return Status::Ok();
}

}  // namespace

void RegisterReduceUpgrades(UpgradeRegistry& r) {
  for (const char* op : {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
                         "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"})
    r.Add(op, AxesInputSince(op), ReduceAxesToInput);
  r.Add("TopK", 10, TopKCountToInput);
}

}  // namespace qplay
