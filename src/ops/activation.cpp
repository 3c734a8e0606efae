// Activation functions: Relu and its relatives, Sigmoid, Tanh, HardSigmoid/HardSwish, Gelu, Clip.
#include "ops/schema.h"

namespace qplay {
namespace {

OpSchema Activation(const std::string& op, int64_t since = 1) {
  OpSchema s(op, since);
  s.Input("X", "T").Output("Y", "T").Types("T", kFloatTypes).Infer(SameAsInput);
  return s;
}

Attribute F(float value) { return Attribute::Float(value); }

}  // namespace

void RegisterActivationSchemas(SchemaRegistry& r) {
  r.Add(Activation("Relu").Types("T", kNumericTypes));
  r.Add(Activation("LeakyRelu").Attr("alpha", AttrType::kFloat, F(0.01f)).QLinearForm("QLinearLeakyRelu"));
  r.Add(OpSchema("PRelu", 1).Input("X", "T").Input("slope", "T").Output("Y", "T").Types("T", kNumericTypes).Infer(BroadcastInputs));
  r.Add(Activation("Elu").Attr("alpha", AttrType::kFloat, F(1.0f)));
  r.Add(Activation("Celu", 12).Attr("alpha", AttrType::kFloat, F(1.0f)));
  r.Add(Activation("Selu").Attr("alpha", AttrType::kFloat, F(1.67326319217681884765625f))
            .Attr("gamma", AttrType::kFloat, F(1.05070102214813232421875f)));
  r.Add(Activation("ThresholdedRelu", 10).Attr("alpha", AttrType::kFloat, F(1.0f)));
  r.Add(Activation("Sigmoid").Quant(OutputRange(0.0f, 1.0f)).QLinearForm("QLinearSigmoid").Gradient(Inputs({0})));
  r.Add(Activation("Tanh").Quant(OutputRange(-1.0f, 1.0f)).Gradient(Inputs({0})));
  r.Add(Activation("Softplus"));
  r.Add(Activation("Softsign"));
  r.Add(Activation("HardSigmoid").Attr("alpha", AttrType::kFloat, F(0.2f)).Attr("beta", AttrType::kFloat, F(0.5f))
            .Quant(OutputRange(0.0f, 1.0f)));
  r.Add(Activation("HardSwish", 14).Gradient(Inputs({0})));
  r.Add(Activation("Gelu", 20).Attr("approximate", AttrType::kString, Attribute::String("none"), OneOfStrings({"none", "tanh"})));
  r.Add(Activation("Clip").Types("T", kNumericTypes).OptionalAttr("min", AttrType::kFloat).OptionalAttr("max", AttrType::kFloat));
  r.Add(Activation("Clip", 11).Types("T", kNumericTypes).Input("min", "T", kOptional).Input("max", "T", kOptional));
}

}  // namespace qplay
