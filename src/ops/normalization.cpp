// Normalizations (Batch, Instance, Group, Layer, LRN), the softmax family, and the layer norms
// of ONNX Runtime's transformer optimizer (com.microsoft SkipLayerNormalization,
// SkipSimplifiedLayerNormalization; SimplifiedLayerNormalization, which it keeps in ai.onnx).
#include "ops/qlinear_contrib.h"
#include "ops/schema.h"
#include "ops/shape_ops.h"
#include "ops/upgrade.h"

namespace qplay {
namespace {

// output and input_skip_bias_sum: the input's type and shape; mean and inv_std_var: float,
// the last dim 1.
std::vector<ValueInfo> SkipNormInfer(InferContext& ctx) {
  const ValueInfo& x = ctx.in(0);
  std::optional<Dims> stats = x.shape;
  if (stats && !stats->empty()) stats->back() = Dim::Known(1);
  const ValueInfo sum = ValueInfo::Typed(x.dtype, x.shape);
  return {sum, ValueInfo::Typed(DataType::kFloat, stats), ValueInfo::Typed(DataType::kFloat, stats), sum};
}

std::vector<ValueInfo> LayerNormInfer(InferContext& ctx) {
  const ValueInfo& x = ctx.in(0);
  ValueInfo stats = ValueInfo::Typed(DataType::kFloat);
  int64_t axis = ctx.node.GetInt("axis", -1);
  if (x.shape && NormalizeAxis(axis, x.rank())) {
    Dims s = *x.shape;
    for (size_t d = static_cast<size_t>(axis); d < s.size(); ++d) s[d] = Dim::Known(1);
    stats.shape = s;
  }
  return {ValueInfo::Typed(x.dtype, x.shape), stats, stats};
}

Attribute F(float value) { return Attribute::Float(value); }

// Softmax, LogSoftmax and Hardmax: axis 1 over a flattened 2-D view before opset 13, one axis (-1) from 13.
void AddSoftmaxLike(SchemaRegistry& r, const std::string& op, const QuantFacts& quant = {}, uint64_t gradient = 0) {
  for (int64_t since : {1, 13})
    r.Add(OpSchema(op, since).Input("input", "T").Output("output", "T").Types("T", kFloatTypes)
              .Attr("axis", AttrType::kInt, Attribute::Int(since == 1 ? 1 : -1), AxisInRank()).Infer(SameAsInput)
              .Quant(quant).Gradient(gradient));
}

}  // namespace

void RegisterNormalizationSchemas(SchemaRegistry& r) {
  r.Add(OpSchema("BatchNormalization", 1).Input("X", "T").Input("scale", "T").Input("B", "T").Input("input_mean", "T")
            .Input("input_var", "T").Output("Y", "T").Output("running_mean", "T", kOptional)
            .Output("running_var", "T", kOptional).Output("saved_mean", "T", kOptional).Output("saved_var", "T", kOptional)
            .Types("T", kFloatTypes).Attr("epsilon", AttrType::kFloat, F(1e-5f)).Attr("momentum", AttrType::kFloat, F(0.9f))
            .Attr("training_mode", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1}))
            .OptionalAttr("spatial", AttrType::kInt).OptionalAttr("is_test", AttrType::kInt)
            .OptionalAttr("consumed_inputs", AttrType::kInts).Infer(SameAsInput));
  r.Add(OpSchema("InstanceNormalization", 1).Input("input", "T").Input("scale", "T").Input("B", "T").Output("output", "T")
            .Types("T", kFloatTypes).Attr("epsilon", AttrType::kFloat, F(1e-5f)).Infer(SameAsInput));
  for (int64_t since : {18, 21}) {
    OpSchema s("GroupNormalization", since);
    s.Input("X", "T").Input("scale", "T").Input("bias", "T").Output("Y", "T").Types("T", kFloatTypes)
        .Attr("epsilon", AttrType::kFloat, F(1e-5f)).Attr("num_groups", AttrType::kInt, std::nullopt, AtLeast(1))
        .Infer(SameAsInput);
    if (since >= 21) s.Attr("stash_type", AttrType::kInt, Attribute::Int(1), OneOfInts({1}));
    r.Add(std::move(s));
  }
  const std::string ms(kMicrosoftDomain);
  // ONNX Runtime registers SimplifiedLayerNormalization in the ai.onnx domain, at version 1.
  r.Add(OpSchema("SimplifiedLayerNormalization", 1).Input("X", "T").Input("scale", "V").Output("Y", "V")
            .Output("inv_std_var", "U", kOptional).Types("T", kFloatTypes).Attr("axis", AttrType::kInt, Attribute::Int(-1), AxisInRank())
            .Attr("epsilon", AttrType::kFloat, F(1e-5f)).Attr("stash_type", AttrType::kInt, Attribute::Int(1)).Infer(SameAsInput));
  for (const char* op : {"SkipLayerNormalization", "SkipSimplifiedLayerNormalization"}) {
    const bool rms = std::string(op) == "SkipSimplifiedLayerNormalization";
    OpSchema s(op, 1, ms);
    s.Input("input", "T").Input("skip", "T").Input("gamma", "T");
    if (!rms) s.Input("beta", "T", kOptional);
    s.Input("bias", "T", kOptional).Output("output", "T").Output("mean", "U", kOptional).Output("inv_std_var", "U", kOptional)
        .Output("input_skip_bias_sum", "T", kOptional).Types("T", kFloatTypes).Attr("epsilon", AttrType::kFloat, F(1e-5f))
        .Infer(SkipNormInfer);
    r.Add(std::move(s));
  }
  // ONNX Runtime registers LayerNormalization in ai.onnx from version 1, its own op before ONNX 17
  // defined the same one; qplay's inference optimizer writes it at any opset, as ONNX Runtime's does.
  for (int64_t since : {1, 17})
    r.Add(OpSchema("LayerNormalization", since).Input("X", "T").Input("Scale", "T").Input("B", "T", kOptional)
              .Output("Y", "T").Output("Mean", "U", kOptional).Output("InvStdDev", "U", kOptional).Types("T", kFloatTypes)
              .Attr("axis", AttrType::kInt, Attribute::Int(-1), AxisInRank()).Attr("epsilon", AttrType::kFloat, F(1e-5f))
              .Attr("stash_type", AttrType::kInt, Attribute::Int(1)).Infer(LayerNormInfer).Gradient(Inputs({0, 1, 2}))
              .Float32Outputs(Inputs({1, 2})));
  r.Add(OpSchema("LRN", 1).Input("X", "T").Output("Y", "T").Types("T", kFloatTypes).Attr("alpha", AttrType::kFloat, F(1e-4f))
            .Attr("beta", AttrType::kFloat, F(0.75f)).Attr("bias", AttrType::kFloat, F(1.0f))
            .Attr("size", AttrType::kInt, std::nullopt, AtLeast(1)).Infer(SameAsInput));
  QuantFacts softmax = OutputRange(0.0f, 1.0f);
  softmax.qlinear_form = ops::kQLinearSoftmax;
  AddSoftmaxLike(r, "Softmax", softmax, Inputs({0}));
  AddSoftmaxLike(r, "LogSoftmax");
  AddSoftmaxLike(r, "Hardmax");
}

namespace {

Status BatchNormalizationDropsSpatial(UpgradeContext& ctx) {
  if (ctx.node().GetInt("spatial", 1) != 1) return ctx.Refuse("spatial=0 (per-element statistics) has no later form");
  ctx.node().attributes.erase("spatial");
  return Status::Ok();
}

Status BatchNormalizationInferenceOnly(UpgradeContext& ctx) {
  const auto& outputs = ctx.node().outputs;
  if (std::any_of(outputs.begin() + 1, outputs.end(), [](const std::string& o) { return !o.empty(); }))
    return ctx.Refuse("it outputs training statistics, which opset 14 gives only in training mode");
  return Status::Ok();
}

// Before 13 these ops worked on the input flattened to 2-D at `axis`; from 13 on one axis. The
// old result is the new op on the flattened input, reshaped back.
Status SoftmaxOnFlattenedInput(UpgradeContext& ctx) {
  Node& node = ctx.node();
  const int64_t axis = node.GetInt("axis", 1);
  const auto rank = ctx.InputRank(0);
  if (rank && (axis == *rank - 1 || axis == -1)) {
    node.attributes["axis"] = Attribute::Int(-1);
    return Status::Ok();
  }
  const std::string input = node.inputs[0], output = node.outputs[0];
  const std::string shape = ctx.Fresh("shape"), flat = ctx.Fresh("flat");
  ctx.InsertBefore(MakeNode(ops::kShape, shape, {input}, {shape}));
  Node flatten = MakeNode(ops::kFlatten, flat, {input}, {flat});
  flatten.attributes["axis"] = Attribute::Int(axis);
  ctx.InsertBefore(std::move(flatten));
  const std::string flat_output = ctx.Fresh("2d");
  Node& op = ctx.node();
  op.inputs[0] = flat;
  op.outputs[0] = flat_output;
  op.attributes["axis"] = Attribute::Int(-1);
  ctx.InsertAfter(MakeNode(ops::kReshape, ctx.Fresh("reshape"), {flat_output, shape}, {output}));
  return Status::Ok();
}

// From 21, scale and bias hold one value per channel instead of one per group.
Status GroupNormalizationPerChannel(UpgradeContext& ctx) {
  const int64_t groups = ctx.node().GetInt("num_groups", 0);
  const ValueType* type = ctx.graph().TypeOf(ctx.node().inputs[0]);
  if (!type || !type->shape || type->shape->size() < 2 || !(*type->shape)[1].known())
    return ctx.Refuse("the input's channel count is not known");
  const int64_t channels = *(*type->shape)[1].value;
  if (groups <= 0 || channels % groups != 0) return ctx.Refuse(channels, " channels do not split into ", groups, " groups");
  for (size_t i : {size_t{1}, size_t{2}}) {
    const Tensor* per_group = ctx.ConstantInput(i);
    if (!per_group || per_group->size() != groups) return ctx.Refuse("input ", i, " is not a constant of ", groups, " values");
    Tensor per_channel(per_group->dtype(), {channels});
    for (int64_t c = 0; c < channels; ++c) per_channel.SetFromDouble(c, per_group->GetAsDouble(c / (channels / groups)));
    SetInput(ctx.node(), i, ctx.AddConstant(i == 1 ? "scale" : "bias", std::move(per_channel)));
  }
  return Status::Ok();
}

}  // namespace

void RegisterNormalizationUpgrades(UpgradeRegistry& r) {
  r.Add("BatchNormalization", 9, BatchNormalizationDropsSpatial);
  r.Add("BatchNormalization", 14, BatchNormalizationInferenceOnly);
  for (const char* op : {"Softmax", "LogSoftmax", "Hardmax"}) r.Add(op, 13, SoftmaxOnFlattenedInput);
  r.Add("GroupNormalization", 21, GroupNormalizationPerChannel);
}

}  // namespace qplay
