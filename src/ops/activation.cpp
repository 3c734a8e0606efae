// Activation functions: Relu and its relatives, Sigmoid, Tanh, HardSigmoid/HardSwish, Gelu, Clip,
// and the Gelu forms of ONNX Runtime's transformer optimizer (com.microsoft Gelu, FastGelu,
// BiasGelu, QuickGelu).
#include <limits>

#include "ops/qlinear_contrib.h"
#include "ops/schema.h"
#include "ops/upgrade.h"

namespace qplay {
namespace {

OpSchema Activation(const std::string& op, int64_t since = 1) {
  OpSchema s(op, since);
  s.Input("X", "T").Output("Y", "T").Types("T", kFloatTypes).Infer(SameAsInput);
  return s;
}

Attribute F(float value) { return Attribute::Float(value); }

constexpr float kInf = std::numeric_limits<float>::infinity();

std::optional<std::pair<float, float>> ReluClamp(const Node&, int64_t, const std::vector<const Tensor*>&) {
  return std::pair{0.0f, kInf};
}

// Bounds are attributes before opset 11, optional one-element inputs from 11.
std::optional<std::pair<float, float>> ClipClamp(const Node& node, int64_t opset, const std::vector<const Tensor*>& constants) {
  if (opset < 11) return std::pair{node.GetFloat("min", -kInf), node.GetFloat("max", kInf)};
  std::pair<float, float> range{-kInf, kInf};
  for (size_t i : {1, 2}) {
    if (i >= node.inputs.size() || node.inputs[i].empty()) continue;
    if (!constants[i] || constants[i]->size() != 1) return std::nullopt;
    (i == 1 ? range.first : range.second) = static_cast<float>(constants[i]->GetAsDouble(0));
  }
  return range;
}

}  // namespace

void RegisterActivationSchemas(SchemaRegistry& r) {
  r.Add(Activation("Relu").Types("T", kNumericTypes).Clamp(ReluClamp).CommutesWithChannelScale().Gradient(Inputs({0})));
  r.Add(Activation("LeakyRelu").Attr("alpha", AttrType::kFloat, F(0.01f)).QLinearForm(ops::kQLinearLeakyRelu));
  r.Add(OpSchema("PRelu", 1).Input("X", "T").Input("slope", "T").Output("Y", "T").Types("T", kNumericTypes).Infer(BroadcastInputs));
  r.Add(Activation("Elu").Attr("alpha", AttrType::kFloat, F(1.0f)));
  r.Add(Activation("Celu", 12).Attr("alpha", AttrType::kFloat, F(1.0f)));
  r.Add(Activation("Selu").Attr("alpha", AttrType::kFloat, F(1.67326319217681884765625f))
            .Attr("gamma", AttrType::kFloat, F(1.05070102214813232421875f)));
  r.Add(Activation("ThresholdedRelu", 10).Attr("alpha", AttrType::kFloat, F(1.0f)));
  r.Add(Activation("Sigmoid").Quant(OutputRange(0.0f, 1.0f)).QLinearForm(ops::kQLinearSigmoid).Gradient(Inputs({0})));
  r.Add(Activation("Tanh").Quant(OutputRange(-1.0f, 1.0f)).Gradient(Inputs({0})));
  r.Add(Activation("Softplus"));
  r.Add(Activation("Mish", 18));
  r.Add(Activation("Softsign"));
  r.Add(Activation("HardSigmoid").Attr("alpha", AttrType::kFloat, F(0.2f)).Attr("beta", AttrType::kFloat, F(0.5f))
            .Quant(OutputRange(0.0f, 1.0f)));
  r.Add(Activation("HardSwish", 14).Gradient(Inputs({0})));
  r.Add(Activation("Gelu", 20).Attr("approximate", AttrType::kString, Attribute::String("none"), OneOfStrings({"none", "tanh"})));
  r.Add(Activation("Clip").Types("T", kNumericTypes).OptionalAttr("min", AttrType::kFloat).OptionalAttr("max", AttrType::kFloat)
            .Clamp(ClipClamp).Gradient(Inputs({0})));
  const std::string ms(kMicrosoftDomain);
  r.Add(OpSchema("Gelu", 1, ms).Input("X", "T").Output("Y", "T").Types("T", kFloatTypes).Infer(SameAsInput));
  r.Add(OpSchema("FastGelu", 1, ms).Input("X", "T").Input("bias", "T", kOptional).Output("Y", "T").Types("T", kFloatTypes)
            .Infer(SameAsInput));
  r.Add(OpSchema("BiasGelu", 1, ms).Input("A", "T").Input("B", "T").Output("C", "T").Types("T", kFloatTypes).Infer(SameAsInput));
  r.Add(OpSchema("QuickGelu", 1, ms).Input("X", "T").Output("Y", "T").Types("T", kFloatTypes)
            .Attr("alpha", AttrType::kFloat, F(1.702f)).Infer(SameAsInput));
  r.Add(Activation("Clip", 11).Types("T", kNumericTypes).Input("min", "T", kOptional).Input("max", "T", kOptional).Clamp(ClipClamp)
            .Gradient(Inputs({0})));
}

namespace {

Status ClipBoundsToInputs(UpgradeContext& ctx) {
  FloatAttributeToInput(ctx, "min", 1);
  FloatAttributeToInput(ctx, "max", 2);
  return Status::Ok();
}

}  // namespace

void RegisterActivationUpgrades(UpgradeRegistry& r) { r.Add("Clip", 11, ClipBoundsToInputs); }

}  // namespace qplay
