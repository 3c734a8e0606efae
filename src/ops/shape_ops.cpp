// Ops that reshape, reorder, cut or join tensors without computing new values.
#include <algorithm>
#include <set>

#include "ops/schema.h"
#include "ops/upgrade.h"

namespace qplay {
namespace {

std::vector<ValueInfo> ShapeInfer(InferContext& ctx) {
  const auto& xs = ctx.in(0).shape;
  if (!xs) return {ValueInfo::Typed(DataType::kInt64)};
  const int64_t rank = ctx.in(0).rank();
  int64_t start = ctx.node.GetInt("start", 0), end = ctx.node.GetInt("end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  ValueInfo out = ValueInfo::Typed(DataType::kInt64, Dims{Dim::Known(end - start)});
  out.elements = Dims(xs->begin() + start, xs->begin() + end);
  return {out};
}

std::vector<ValueInfo> SizeInfer(InferContext& ctx) {
  ValueInfo out = ValueInfo::Typed(DataType::kInt64, Dims{});
  if (ctx.in(0).shape) out.elements = Dims{Product(*ctx.in(0).shape, 0, ctx.in(0).shape->size())};
  return {out};
}

std::vector<ValueInfo> IdentityInfer(InferContext& ctx) {
  ValueInfo out = ValueInfo::Typed(ctx.in(0).dtype, ctx.in(0).shape);
  out.elements = ctx.in(0).elements;
  return {out};
}

std::vector<ValueInfo> DropoutInfer(InferContext& ctx) {
  return {ValueInfo::Typed(ctx.in(0).dtype, ctx.in(0).shape), ValueInfo::Typed(DataType::kBool, ctx.in(0).shape)};
}

std::vector<ValueInfo> ReshapeInfer(InferContext& ctx) {
  const ValueInfo& x = ctx.in(0);
  const auto& xs = x.shape;
  auto target = ctx.opset >= 5 ? Elements(ctx.in(1)) : std::optional<Dims>(KnownDims(ctx.node.GetInts("shape")));
  if (!target) return ctx.Unknown(x.dtype);
  Dims out = *target;
  int infer = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].known() && *out[i].value == 0 && !ctx.node.GetInt("allowzero", 0))
      out[i] = xs && i < xs->size() ? (*xs)[i] : Dim{};
    if (out[i].known() && *out[i].value == -1) infer = static_cast<int>(i), out[i] = Dim{};
  }
  if (infer >= 0 && xs) {
    // Cancel equal dims on both sides; what remains decides the -1.
    Dims rest_in = *xs, rest_out;
    for (size_t i = 0; i < out.size(); ++i) {
      if (static_cast<int>(i) == infer) continue;
      auto it = std::find_if(rest_in.begin(), rest_in.end(), [&](const Dim& d) { return SameDim(d, out[i]); });
      if (it != rest_in.end()) rest_in.erase(it);
      else rest_out.push_back(out[i]);
    }
    Dim num = Product(rest_in, 0, rest_in.size()), den = Product(rest_out, 0, rest_out.size());
    if (den.known() && *den.value == 1) out[infer] = num;
    else if (num.known() && den.known() && *den.value) out[infer] = Dim::Known(*num.value / *den.value);
  }
  ValueInfo result = ValueInfo::Typed(x.dtype, out);
  if (x.elements && out.size() <= 1) result.elements = x.elements;
  return {result};
}

std::vector<ValueInfo> FlattenInfer(InferContext& ctx) {
  const auto& xs = ctx.in(0).shape;
  if (!xs) return ctx.Unknown(ctx.in(0).dtype);
  int64_t axis = ctx.node.GetInt("axis", 1);
  if (axis < 0) axis += ctx.in(0).rank();
  if (axis < 0 || axis > ctx.in(0).rank()) return ctx.Unknown(ctx.in(0).dtype);  // the kernel names the bad axis
  return {ValueInfo::Typed(ctx.in(0).dtype, Dims{Product(*xs, 0, axis), Product(*xs, axis, xs->size())})};
}

std::vector<ValueInfo> TransposeInfer(InferContext& ctx) {
  const auto& xs = ctx.in(0).shape;
  if (!xs) return ctx.Unknown(ctx.in(0).dtype);
  const int64_t rank = ctx.in(0).rank();
  auto perm = ctx.node.GetInts("perm");
  if (perm.empty())
    for (int64_t d = rank; d-- > 0;) perm.push_back(d);
  Dims out;
  for (int64_t p : perm) out.push_back(p >= 0 && p < rank ? (*xs)[p] : Dim{});
  return {ValueInfo::Typed(ctx.in(0).dtype, out)};
}

std::vector<ValueInfo> ConcatInfer(InferContext& ctx) {
  const ValueInfo& x = ctx.in(0);
  const int64_t rank = x.rank();
  int64_t axis = ctx.node.GetInt("axis", 0);
  if (!x.shape || !NormalizeAxis(axis, rank)) return ctx.Unknown(x.dtype);
  Dims out = *x.shape;
  int64_t total = 0;
  bool known = true;
  Dims elements;
  bool have_elements = rank == 1;
  for (const ValueInfo& i : ctx.inputs()) {
    if (i.rank() != rank) return ctx.Unknown(x.dtype);
    const Dim& d = (*i.shape)[axis];
    known = known && d.known() && !__builtin_add_overflow(total, *d.value, &total);
    auto e = Elements(i);
    if (e) elements.insert(elements.end(), e->begin(), e->end());
    else have_elements = false;
  }
  out[axis] = known ? Dim::Known(total) : Dim{};
  ValueInfo result = ValueInfo::Typed(x.dtype, out);
  if (have_elements) result.elements = elements;
  return {result};
}

std::vector<ValueInfo> SplitInfer(InferContext& ctx) {
  const ValueInfo& x = ctx.in(0);
  std::vector<ValueInfo> outs(ctx.num_outputs(), ValueInfo::Typed(x.dtype));
  int64_t axis = ctx.node.GetInt("axis", 0);
  if (!x.shape || !NormalizeAxis(axis, x.rank())) return outs;
  auto sizes = ListInputOrAttr(ctx, 1, "split", 13);
  const Dim& d = (*x.shape)[axis];
  const int64_t parts = static_cast<int64_t>(outs.size());
  for (int64_t p = 0; p < parts; ++p) {
    Dims s = *x.shape;
    if (sizes && static_cast<int64_t>(sizes->size()) == parts) s[axis] = Dim::Known((*sizes)[p]);
    else if (sizes && sizes->empty() && d.known()) {
      const int64_t chunk = *d.value / parts + (*d.value % parts != 0);
      s[axis] = DimArithmetic(DimOp::kSub, d, DimArithmetic(DimOp::kMul, Dim::Known(p), Dim::Known(chunk)));
      if (s[axis].known()) s[axis] = Dim::Known(std::min(chunk, *s[axis].value));
    } else s[axis] = Dim{};
    outs[p].shape = s;
  }
  return outs;
}

std::vector<ValueInfo> SqueezeInfer(InferContext& ctx) {
  const ValueInfo& x = ctx.in(0);
  auto axes = ListInputOrAttr(ctx, 1, "axes", 13);
  if (!x.shape || !axes) return ctx.Unknown(x.dtype);
  const int64_t rank = x.rank();
  std::set<int64_t> drop;
  for (int64_t a : *axes) drop.insert(a < 0 ? a + rank : a);
  Dims out;
  for (int64_t d = 0; d < rank; ++d) {
    const Dim& dim = (*x.shape)[d];
    const bool is_one = dim.known() && *dim.value == 1;
    if (axes->empty() ? is_one : drop.count(d) > 0) continue;
    if (axes->empty() && !dim.known()) return ctx.Unknown(x.dtype);
    out.push_back(dim);
  }
  ValueInfo result = ValueInfo::Typed(x.dtype, out);
  result.elements = Elements(x);
  return {result};
}

std::vector<ValueInfo> UnsqueezeInfer(InferContext& ctx) {
  const ValueInfo& x = ctx.in(0);
  auto axes = ListInputOrAttr(ctx, 1, "axes", 13);
  if (!x.shape || !axes) return ctx.Unknown(x.dtype);
  const int64_t out_rank = x.rank() + static_cast<int64_t>(axes->size());
  std::set<int64_t> add;
  for (int64_t a : *axes) add.insert(a < 0 ? a + out_rank : a);
  Dims out;
  size_t next = 0;
  for (int64_t d = 0; d < out_rank; ++d) out.push_back(add.count(d) || next >= x.shape->size() ? Dim::Known(1) : (*x.shape)[next++]);
  ValueInfo result = ValueInfo::Typed(x.dtype, out);
  result.elements = Elements(x);
  return {result};
}

std::vector<ValueInfo> SliceInfer(InferContext& ctx) {
  const ValueInfo& x = ctx.in(0);
  const auto& xs = x.shape;
  const int64_t rank = x.rank();
  std::vector<ValueInfo> unknown{ValueInfo::Typed(x.dtype, xs ? std::optional<Dims>(Dims(xs->size())) : std::nullopt)};
  if (!xs) return unknown;
  std::optional<std::vector<int64_t>> starts, ends, axes, steps;
  if (ctx.opset < 10) {
    starts = ctx.node.GetInts("starts"), ends = ctx.node.GetInts("ends"), axes = ctx.node.GetInts("axes");
  } else {
    starts = KnownInts(ctx.in(1)), ends = KnownInts(ctx.in(2));
    axes = ctx.has(3) ? KnownInts(ctx.in(3)) : std::vector<int64_t>{};
    steps = ctx.has(4) ? KnownInts(ctx.in(4)) : std::vector<int64_t>{};
  }
  if (!starts || !ends || !axes || (ctx.opset >= 10 && !steps) || ends->size() != starts->size()) return unknown;
  Dims out = *xs;
  auto elements = Elements(x);
  for (size_t i = 0; i < starts->size(); ++i) {
    int64_t axis = axes->empty() ? static_cast<int64_t>(i) : i < axes->size() ? (*axes)[i] : rank;
    if (!NormalizeAxis(axis, rank)) return unknown;
    const int64_t step = steps && i < steps->size() ? (*steps)[i] : 1;
    if (step == 0) return unknown;
    const Dim& d = (*xs)[axis];
    if (!d.known()) {
      const bool whole = (*starts)[i] == 0 && (*ends)[i] >= (int64_t{1} << 31) && step == 1;
      out[axis] = whole ? d : Dim{};
      continue;
    }
    const int64_t n = *d.value;
    if (n < 0) return unknown;  // a declared negative dimension: the kernel names it when it runs
    int64_t b = (*starts)[i] < 0 ? (*starts)[i] + n : (*starts)[i];
    int64_t e = (*ends)[i] < 0 ? (*ends)[i] + n : (*ends)[i];
    // The step's magnitude as unsigned, so that neither it nor the count can overflow.
    const uint64_t stride = step > 0 ? static_cast<uint64_t>(step) : static_cast<uint64_t>(-(step + 1)) + 1;
    int64_t count;
    if (step > 0) {
      b = std::clamp<int64_t>(b, 0, n), e = std::clamp<int64_t>(e, 0, n);
      count = e > b ? static_cast<int64_t>(static_cast<uint64_t>(e - b - 1) / stride) + 1 : 0;
    } else {
      b = std::clamp<int64_t>(b, -1, n - 1), e = std::clamp<int64_t>(e, -1, n - 1);
      count = b > e ? static_cast<int64_t>(static_cast<uint64_t>(b - e - 1) / stride) + 1 : 0;
    }
    out[axis] = Dim::Known(count);
    if (elements && rank == 1 && static_cast<int64_t>(elements->size()) == n) {
      Dims picked;
      for (int64_t k = 0; k < count; ++k) picked.push_back((*elements)[b + k * step]);
      elements = picked;
    }
  }
  ValueInfo result = ValueInfo::Typed(x.dtype, out);
  if (rank == 1) result.elements = elements;
  return {result};
}

std::vector<ValueInfo> ExpandInfer(InferContext& ctx) {
  auto target = Elements(ctx.in(1));
  if (!target) return ctx.Unknown(ctx.in(0).dtype);
  std::optional<Dims> t = *target;
  return {ValueInfo::Typed(ctx.in(0).dtype, Broadcast({&ctx.in(0).shape, &t}))};
}

std::vector<ValueInfo> TileInfer(InferContext& ctx) {
  const auto& xs = ctx.in(0).shape;
  auto repeats = KnownInts(ctx.in(1));
  if (!xs || !repeats || repeats->size() != xs->size()) return ctx.Unknown(ctx.in(0).dtype);
  Dims out = *xs;
  for (size_t d = 0; d < out.size(); ++d)
    if ((*repeats)[d] != 1) out[d] = out[d].known() ? DimArithmetic(DimOp::kMul, out[d], Dim::Known((*repeats)[d])) : Dim{};
  return {ValueInfo::Typed(ctx.in(0).dtype, out)};
}

std::vector<ValueInfo> PadInfer(InferContext& ctx) {
  const auto& xs = ctx.in(0).shape;
  const int64_t rank = ctx.in(0).rank();
  auto pads = ctx.opset >= 11 ? KnownInts(ctx.in(1)) : std::optional<std::vector<int64_t>>(ctx.node.GetInts("pads"));
  if (!xs || !pads || static_cast<int64_t>(pads->size()) != 2 * rank || ctx.has(3)) return ctx.Unknown(ctx.in(0).dtype);
  Dims out = *xs;
  for (int64_t d = 0; d < rank; ++d) {
    const Dim add = DimArithmetic(DimOp::kAdd, Dim::Known((*pads)[d]), Dim::Known((*pads)[d + rank]));
    if (!add.known() || *add.value) out[d] = out[d].known() ? DimArithmetic(DimOp::kAdd, out[d], add) : Dim{};
  }
  return {ValueInfo::Typed(ctx.in(0).dtype, out)};
}

std::vector<ValueInfo> SpaceDepthInfer(InferContext& ctx) {
  const auto& xs = ctx.in(0).shape;
  if (!xs || xs->size() != 4) return ctx.Unknown(ctx.in(0).dtype);
  const int64_t b = ctx.node.GetInt("blocksize", 1);
  auto scaled = [](const Dim& d, const Dim& mul, const Dim& div) {
    return d.known() ? DimArithmetic(DimOp::kDiv, DimArithmetic(DimOp::kMul, d, mul), div) : Dim{};
  };
  const Dim one = Dim::Known(1), block = Dim::Known(b), area = DimArithmetic(DimOp::kMul, block, block);
  const bool to_space = ctx.node.op_type == "DepthToSpace";
  return {ValueInfo::Typed(ctx.in(0).dtype, Dims{(*xs)[0], to_space ? scaled((*xs)[1], one, area) : scaled((*xs)[1], area, one),
                                                 to_space ? scaled((*xs)[2], block, one) : scaled((*xs)[2], one, block),
                                                 to_space ? scaled((*xs)[3], block, one) : scaled((*xs)[3], one, block)})};
}

bool Always(const Graph&, const Node&) { return true; }

// Dropout passes its input through: training_mode absent or a constant false, or a constant
// ratio of 0 (Swin's attention dropout exports training_mode true with p = 0); and its mask
// absent or read by nothing (PyTorch exports name the mask even when unused).
bool DropoutPassesThrough(const Graph& graph, const Node& node) {
  auto constant_is_zero = [&](size_t input) {
    auto value = graph.initializers.find(node.inputs[input]);
    return value != graph.initializers.end() && value->second.size() == 1 && value->second.GetAsDouble(0) == 0;
  };
  const bool training = node.inputs.size() > 2 && !node.inputs[2].empty() && !constant_is_zero(2);
  if (training && !(node.inputs[1].size() && constant_is_zero(1))) return false;
  if (node.outputs.size() < 2 || node.outputs[1].empty()) return true;
  const std::string& mask = node.outputs[1];
  if (std::find(graph.outputs.begin(), graph.outputs.end(), mask) != graph.outputs.end()) return false;
  for (const Node& other : graph.nodes) {
    const std::vector<std::string> read = ValuesRead(other);
    if (std::find(read.begin(), read.end(), mask) != read.end()) return false;
  }
  return true;
}

// Unsqueeze's axes index the output, whose rank is the input's plus their count.
AttrCheck UnsqueezeAxes() {
  return [](const Attribute& a, int64_t rank) { return rank < 0 ? std::string() : AxesInRank(static_cast<int64_t>(a.ints.size()))(a, rank); };
}

// Pad only copies elements in reflect, edge and wrap modes; in constant mode the 8-bit tensor
// pads with its zero point, which stands for the padding value only when that is 0.
bool PadCopiesOrPadsZero(const Graph& graph, const Node& node) {
  if (node.GetString("mode", "constant") != "constant") return true;
  if (node.inputs.size() < 3 || node.inputs[2].empty()) return node.GetFloat("value", 0) == 0;
  auto value = graph.initializers.find(node.inputs[2]);
  return value != graph.initializers.end() && value->second.size() == 1 && value->second.GetAsDouble(0) == 0;
}

OpSchema Movement(const std::string& op, int64_t since) {
  OpSchema s(op, since);
  s.Input("data", "T").Output("output", "T").Gradient(Inputs({0}));
  return s;
}

}  // namespace

void RegisterShapeSchemas(SchemaRegistry& r) {
  r.Add(OpSchema("Shape", 1).Input("data", "T").Output("shape", "I").Infer(ShapeInfer).NeedsNoGradient());
  r.Add(OpSchema("Shape", 15).Input("data", "T").Output("shape", "I").OptionalAttr("start", AttrType::kInt)
            .OptionalAttr("end", AttrType::kInt).Infer(ShapeInfer).NeedsNoGradient());
  r.Add(OpSchema("Size", 1).Input("data", "T").Output("size", "I").Infer(SizeInfer).NeedsNoGradient());
  r.Add(Movement("Identity", 1).Infer(IdentityInfer).PassesInputThrough(Always));
  r.Add(OpSchema("Dropout", 1).Input("data", "T").Output("output", "T").Output("mask", "B", kOptional)
            .Attr("ratio", AttrType::kFloat, Attribute::Float(0.5f)).OptionalAttr("is_test", AttrType::kInt)
            .Infer(DropoutInfer).PassesInputThrough(DropoutPassesThrough));
  r.Add(OpSchema("Dropout", 12).Input("data", "T").Input("ratio", "T1", kOptional).Input("training_mode", "B", kOptional)
            .Output("output", "T").Output("mask", "B", kOptional).OptionalAttr("seed", AttrType::kInt).Infer(DropoutInfer)
            .PassesInputThrough(DropoutPassesThrough));
  r.Add(Movement("Reshape", 1).Attr("shape", AttrType::kInts).Infer(ReshapeInfer).Quant(SharesInputParams()));
  r.Add(Movement("Reshape", 5).Input("shape", "I").Types("I", {DataType::kInt64})
            .Attr("allowzero", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1})).Infer(ReshapeInfer).Quant(SharesInputParams()));
  r.Add(Movement("Flatten", 1).Attr("axis", AttrType::kInt, Attribute::Int(1), AxisInRank(1)).Infer(FlattenInfer)
            .Quant(SharesInputParams()));
  r.Add(Movement("Transpose", 1).OptionalAttr("perm", AttrType::kInts, Permutation()).Infer(TransposeInfer)
            .Quant(SharesInputParams()));
  r.Add(OpSchema("Concat", 1).Input("inputs", "T", kVariadic).Output("concat_result", "T")
            .Attr("axis", AttrType::kInt, Attribute::Int(1), AxisInRank()).Infer(ConcatInfer).Gradient(kAllInputs));
  r.Add(OpSchema("Concat", 4).Input("inputs", "T", kVariadic).Output("concat_result", "T")
            .Attr("axis", AttrType::kInt, std::nullopt, AxisInRank()).Infer(ConcatInfer).Gradient(kAllInputs));
  r.Add(OpSchema("Split", 1).Input("input", "T").Output("outputs", "T", kVariadic)
            .Attr("axis", AttrType::kInt, Attribute::Int(0), AxisInRank()).OptionalAttr("split", AttrType::kInts, AtLeast(0))
            .Infer(SplitInfer).Quant(SharesInputParams()));
  r.Add(OpSchema("Split", 13).Input("input", "T").Input("split", "I", kOptional).Output("outputs", "T", kVariadic)
            .Attr("axis", AttrType::kInt, Attribute::Int(0), AxisInRank()).Types("I", {DataType::kInt64})
            .Infer(SplitInfer).Quant(SharesInputParams()));
  r.Add(OpSchema("Split", 18).Input("input", "T").Input("split", "I", kOptional).Output("outputs", "T", kVariadic)
            .Attr("axis", AttrType::kInt, Attribute::Int(0), AxisInRank()).OptionalAttr("num_outputs", AttrType::kInt, AtLeast(1))
            .Types("I", {DataType::kInt64}).Infer(SplitInfer).Quant(SharesInputParams()));
  r.Add(Movement("Squeeze", 1).OptionalAttr("axes", AttrType::kInts, AxesInRank()).Infer(SqueezeInfer).Quant(SharesInputParams()));
  r.Add(Movement("Squeeze", 13).Input("axes", "I", kOptional).Types("I", {DataType::kInt64}).Infer(SqueezeInfer)
            .Quant(SharesInputParams()));
  r.Add(Movement("Unsqueeze", 1).Attr("axes", AttrType::kInts, std::nullopt, UnsqueezeAxes()).Infer(UnsqueezeInfer)
            .Quant(SharesInputParams()));
  r.Add(Movement("Unsqueeze", 13).Input("axes", "I").Types("I", {DataType::kInt64}).Infer(UnsqueezeInfer)
            .Quant(SharesInputParams()));
  r.Add(OpSchema("Slice", 1).Input("data", "T").Output("output", "T").Attr("starts", AttrType::kInts)
            .Attr("ends", AttrType::kInts).OptionalAttr("axes", AttrType::kInts, AxesInRank()).Infer(SliceInfer).Gradient(Inputs({0}))
            .Quant(SharesInputParams()));
  r.Add(OpSchema("Slice", 10).Input("data", "T").Input("starts", "I").Input("ends", "I").Input("axes", "I", kOptional)
            .Input("steps", "I", kOptional).Output("output", "T").Types("I", kIndexTypes).Infer(SliceInfer).Gradient(Inputs({0}))
            .Quant(SharesInputParams()));
  r.Add(Movement("Expand", 8).Input("shape", "I").Types("I", {DataType::kInt64}).Infer(ExpandInfer).Quant(SharesInputParams()));
  r.Add(Movement("Tile", 6).Input("repeats", "I").Types("I", {DataType::kInt64}).Infer(TileInfer).Quant(SharesInputParams()));
  r.Add(Movement("Pad", 1).Gradient(0).Attr("mode", AttrType::kString, Attribute::String("constant"), OneOfStrings({"constant", "reflect", "edge"}))
            .Attr("pads", AttrType::kInts).Attr("value", AttrType::kFloat, Attribute::Float(0)).Infer(PadInfer)
            .Quant(SharesInputParams(PadCopiesOrPadsZero)));
  r.Add(OpSchema("Pad", 11).Input("data", "T").Input("pads", "I").Input("constant_value", "T", kOptional).Output("output", "T")
            .Attr("mode", AttrType::kString, Attribute::String("constant"), OneOfStrings({"constant", "reflect", "edge"}))
            .Types("I", {DataType::kInt64}).Infer(PadInfer).Quant(SharesInputParams(PadCopiesOrPadsZero)));
  r.Add(OpSchema("Pad", 18).Input("data", "T").Input("pads", "I").Input("constant_value", "T", kOptional)
            .Input("axes", "A", kOptional).Output("output", "T")
            .Attr("mode", AttrType::kString, Attribute::String("constant"), OneOfStrings({"constant", "reflect", "edge", "wrap"}))
            .Types("I", {DataType::kInt64}).Types("A", kIndexTypes).Infer(PadInfer).Quant(SharesInputParams(PadCopiesOrPadsZero)));
  r.Add(Movement("DepthToSpace", 1).Attr("blocksize", AttrType::kInt, std::nullopt, AtLeast(1))
            .Attr("mode", AttrType::kString, Attribute::String("DCR"), OneOfStrings({"DCR", "CRD"})).Infer(SpaceDepthInfer)
            .Quant(SharesInputParams()));
  r.Add(Movement("SpaceToDepth", 1).Attr("blocksize", AttrType::kInt, std::nullopt, AtLeast(1)).Infer(SpaceDepthInfer)
            .Quant(SharesInputParams()));
}

namespace {

Status SliceAttributesToInputs(UpgradeContext& ctx) {
  IntsAttributeToInput(ctx, "starts", 1);
  IntsAttributeToInput(ctx, "ends", 2);
  IntsAttributeToInput(ctx, "axes", 3);
  return Status::Ok();
}

Status AxesAttributeToInput(UpgradeContext& ctx) {
  IntsAttributeToInput(ctx, "axes", 1);
  return Status::Ok();
}

Status SplitAttributeToInput(UpgradeContext& ctx) {
  IntsAttributeToInput(ctx, "split", 1);
  return Status::Ok();
}

// From 18, an even split names its part count.
Status SplitCountsItsOutputs(UpgradeContext& ctx) {
  Node& node = ctx.node();
  if (node.inputs.size() < 2 || node.inputs[1].empty())
    node.attributes["num_outputs"] = Attribute::Int(static_cast<int64_t>(node.outputs.size()));
  return Status::Ok();
}

Status PadAttributesToInputs(UpgradeContext& ctx) {
  Node& node = ctx.node();
  if (!node.Has("pads")) return ctx.Refuse("it has no pads");
  IntsAttributeToInput(ctx, "pads", 1);
  if (!ctx.node().Has("value")) return Status::Ok();
  const ValueType* type = ctx.graph().TypeOf(ctx.node().inputs[0]);
  const DataType dtype = type && type->dtype != DataType::kUndefined ? type->dtype : DataType::kFloat;
  const double value = ctx.node().GetFloat("value", 0);
  ctx.node().attributes.erase("value");
  Tensor constant(dtype, {});
  constant.SetFromDouble(0, value);
  SetInput(ctx.node(), 2, ctx.AddConstant("value", std::move(constant)));
  return Status::Ok();
}

Status DropoutRatioToInput(UpgradeContext& ctx) {
  FloatAttributeToInput(ctx, "ratio", 1);
  return Status::Ok();
}

}  // namespace

void RegisterShapeUpgrades(UpgradeRegistry& r) {
  r.Add("Slice", 10, SliceAttributesToInputs);
  r.Add("Squeeze", 13, AxesAttributeToInput);
  r.Add("Unsqueeze", 13, AxesAttributeToInput);
  r.Add("Split", 13, SplitAttributeToInput);
  r.Add("Split", 18, SplitCountsItsOutputs);
  r.Add("Pad", 11, PadAttributesToInputs);
  r.Add("Dropout", 12, DropoutRatioToInput);
}

}  // namespace qplay
