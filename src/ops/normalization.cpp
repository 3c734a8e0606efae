// Normalizations (Batch, Instance, Group, Layer, LRN), the softmax family, and the layer norms
// of ONNX Runtime's transformer optimizer (com.microsoft SkipLayerNormalization,
// SkipSimplifiedLayerNormalization; SimplifiedLayerNormalization, which it keeps in ai.onnx).
#include "ops/qlinear_contrib.h"
#include "ops/schema.h"

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
  r.Add(OpSchema("LayerNormalization", 17).Input("X", "T").Input("Scale", "T").Input("B", "T", kOptional)
            .Output("Y", "T").Output("Mean", "U", kOptional).Output("InvStdDev", "U", kOptional).Types("T", kFloatTypes)
            .Attr("axis", AttrType::kInt, Attribute::Int(-1), AxisInRank()).Attr("epsilon", AttrType::kFloat, F(1e-5f))
            .Attr("stash_type", AttrType::kInt, Attribute::Int(1)).Infer(LayerNormInfer).Gradient(Inputs({0, 1, 2})));
  r.Add(OpSchema("LRN", 1).Input("X", "T").Output("Y", "T").Types("T", kFloatTypes).Attr("alpha", AttrType::kFloat, F(1e-4f))
            .Attr("beta", AttrType::kFloat, F(0.75f)).Attr("bias", AttrType::kFloat, F(1.0f))
            .Attr("size", AttrType::kInt, std::nullopt, AtLeast(1)).Infer(SameAsInput));
  QuantFacts softmax = OutputRange(0.0f, 1.0f);
  softmax.qlinear_form = ops::kQLinearSoftmax;
  AddSoftmaxLike(r, "Softmax", softmax, Inputs({0}));
  AddSoftmaxLike(r, "LogSoftmax");
  AddSoftmaxLike(r, "Hardmax");
}

}  // namespace qplay
