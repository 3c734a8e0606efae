// Decomposed ops (passes/decomposed_ops.h): each exporter pattern is found as one unit, fused
// into its op where the opset has it (with the same outputs), left alone when an intermediate
// value is read elsewhere, and kept float as a whole by the static quantizer.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "model_builder.h"
#include "onnx/model.h"
#include "passes/decomposed_ops.h"
#include "quant/static_quantizer.h"
#include "runtime/session.h"

namespace qplay {
namespace {

using testing::SetInts;

void Int64Initializer(testing::ModelBuilder& b, const std::string& name, std::vector<int64_t> values) {
  auto* t = b.graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_dims(static_cast<int64_t>(values.size()));
  for (int64_t v : values) t->add_int64_data(v);
}

std::vector<float> Ramp(int64_t n, float step) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = 0.5f + step * static_cast<float>(i);
  return v;
}

// x [-1, 3, 8] -> LayerNormalization written out as PyTorch exports it before opset 17 ->
// MatMul -> Gelu (erf) -> Softmax (max-subtracted) -> y; and x -> SiLU -> s, x -> HardSwish -> h.
testing::ModelBuilder Decomposed(int64_t opset, bool variance_is_an_output = false) {
  testing::ModelBuilder b(opset);
  b.Input("x", {-1, 3, 8}).Output("y").Output("s").Output("h");
  if (variance_is_an_output) b.Output("var");
  b.Initializer("two", {}, {2}).Initializer("eps", {}, {1e-5f}).Initializer("gamma", {8}, Ramp(8, 0.1f));
  b.Initializer("beta", {8}, Ramp(8, -0.05f)).Initializer("w", {8, 8}, Ramp(64, 0.01f));
  b.Initializer("sqrt2", {}, {1.4142135f}).Initializer("one", {}, {1}).Initializer("half", {}, {0.5f});
  b.Initializer("three", {}, {3}).Initializer("zero", {}, {0}).Initializer("six", {}, {6});
  SetInts(b.Node("ReduceMean", {"x"}, {"mean"}, "ln_mean"), "axes", {-1});
  b.Node("Sub", {"x", "mean"}, {"centred"}, "ln_sub");
  b.Node("Pow", {"centred", "two"}, {"squared"}, "ln_pow");
  SetInts(b.Node("ReduceMean", {"squared"}, {"var"}, "ln_var"), "axes", {-1});
  b.Node("Add", {"var", "eps"}, {"var_eps"}, "ln_add_eps");
  b.Node("Sqrt", {"var_eps"}, {"std"}, "ln_sqrt");
  b.Node("Div", {"centred", "std"}, {"normed"}, "ln_div");
  b.Node("Mul", {"normed", "gamma"}, {"scaled"}, "ln_scale");
  b.Node("Add", {"scaled", "beta"}, {"ln"}, "ln_shift");
  b.Node("MatMul", {"ln", "w"}, {"fc"}, "fc");
  b.Node("Div", {"fc", "sqrt2"}, {"g_div"}, "gelu_div");
  b.Node("Erf", {"g_div"}, {"g_erf"}, "gelu_erf");
  b.Node("Add", {"g_erf", "one"}, {"g_add"}, "gelu_add");
  b.Node("Mul", {"fc", "g_add"}, {"g_mul"}, "gelu_mul");
  b.Node("Mul", {"g_mul", "half"}, {"gelu"}, "gelu_half");
  SetInts(b.Node("ReduceMax", {"gelu"}, {"max"}, "sm_max"), "axes", {-1});
  b.Node("Sub", {"gelu", "max"}, {"shifted"}, "sm_sub");
  b.Node("Exp", {"shifted"}, {"exp"}, "sm_exp");
  Int64Initializer(b, "last_axis", {-1});
  b.Node("ReduceSum", {"exp", "last_axis"}, {"sum"}, "sm_sum");  // axes an input from opset 13
  b.Node("Div", {"exp", "sum"}, {"y"}, "sm_div");
  b.Node("Sigmoid", {"x"}, {"sig"}, "silu_sigmoid");
  b.Node("Mul", {"x", "sig"}, {"s"}, "silu_mul");
  b.Node("Add", {"x", "three"}, {"x3"}, "hs_add");
  b.Node("Clip", {"x3", "zero", "six"}, {"relu6"}, "hs_clip");
  b.Node("Div", {"relu6", "six"}, {"hs_div"}, "hs_div");
  b.Node("Mul", {"x", "hs_div"}, {"h"}, "hs_mul");
  return b;
}

Model Load(const testing::ModelBuilder& b) {
  const std::string bytes = b.Bytes();
  auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  EXPECT_TRUE(model.ok()) << model.status().message();
  return std::move(model.value());
}

Tensor Inputs() {
  Tensor x(DataType::kFloat, {2, 3, 8});
  for (int64_t i = 0; i < x.size(); ++i) x.data<float>()[i] = std::sin(static_cast<float>(i) * 0.7f) * 3.0f;
  return x;
}

std::map<std::string, Tensor> Outputs(const Model& model) {
  auto out = Session::Create(model)->Run({{"x", Inputs()}});
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() ? *out : std::map<std::string, Tensor>{};
}

std::vector<std::pair<std::string, size_t>> Found(const Model& model) {
  std::vector<std::pair<std::string, size_t>> found;
  for (const DecomposedOp& op : FindDecomposedOps(model)) found.push_back({op.op_type, op.nodes.size()});
  return found;
}

TEST(DecomposedOps, EachPatternIsOneUnit) {
  const Model model = Load(Decomposed(13));
  EXPECT_EQ(Found(model), (std::vector<std::pair<std::string, size_t>>{
                              {"LayerNormalization", 9}, {"Gelu", 5}, {"Softmax", 5}, {"SiLU", 2}, {"HardSwish", 4}}));
  const DecomposedOp first = FindDecomposedOps(model).front();
  EXPECT_EQ(first.input, "x");
  EXPECT_EQ(first.output, "ln");
}

TEST(DecomposedOps, FusedWhereTheOpsetHasTheOpWithTheSameOutputs) {
  for (int64_t opset : {13, 17}) {
    Model model = Load(Decomposed(opset));
    const auto before = Outputs(model);
    auto report = FuseDecomposedOps(model);
    ASSERT_TRUE(report.ok()) << report.status().message();
    std::vector<std::string> ops;
    for (const Node& n : model.graph.nodes) ops.push_back(n.op_type);
    const auto has = [&](const char* op) { return std::count(ops.begin(), ops.end(), op) == 1; };
    EXPECT_TRUE(has("Softmax")) << opset;
    EXPECT_EQ(has("LayerNormalization"), opset >= 17);
    EXPECT_EQ(has("HardSwish"), opset >= 14);
    EXPECT_EQ(report->changes.size(), opset >= 17 ? 3u : 1u);
    const auto after = Outputs(model);
    for (const auto& [name, t] : before)
      for (int64_t i = 0; i < t.size(); ++i)
        EXPECT_NEAR(after.at(name).data<float>()[i], t.data<float>()[i], 1e-5) << name << " " << i << " opset " << opset;
  }
}

// A session's own graph (inference optimization) fuses LayerNormalization and Gelu at any
// opset, as ONNX Runtime does into its own ops; a model to save keeps to its opset (above).
TEST(DecomposedOps, SessionsFuseLayerNormalizationAndGeluAtAnyOpset) {
  Model model = Load(Decomposed(13));
  const auto before = Outputs(model);
  ASSERT_TRUE(FuseDecomposedOps(model, FusedForms::kSession).ok());
  const auto count = [&](const char* op, const char* domain) {
    return std::count_if(model.graph.nodes.begin(), model.graph.nodes.end(),
                         [&](const Node& n) { return n.op_type == op && n.domain == domain; });
  };
  EXPECT_EQ(count("LayerNormalization", ""), 1);
  EXPECT_EQ(count("Gelu", "com.microsoft"), 1);
  const auto after = Outputs(model);
  for (int64_t i = 0; i < before.at("y").size(); ++i) EXPECT_NEAR(after.at("y").data<float>()[i], before.at("y").data<float>()[i], 1e-5);
}

TEST(DecomposedOps, GeluFusesFromOpset20) {
  Model model = Load(Decomposed(13));
  model.opsets[""] = 20;
  const auto ops = FindDecomposedOps(model);
  ASSERT_EQ(ops[1].op_type, "Gelu");
  ASSERT_TRUE(ops[1].fused);
  EXPECT_EQ(ops[1].fused->inputs, std::vector<std::string>{"fc"});
  EXPECT_EQ(ops[1].fused->outputs, std::vector<std::string>{"gelu"});
  EXPECT_EQ(ops[1].fused->GetString("approximate", ""), "none");
}

TEST(DecomposedOps, AnIntermediateReadElsewhereBreaksTheUnit) {
  const Model model = Load(Decomposed(17, /*variance_is_an_output=*/true));
  for (const DecomposedOp& op : FindDecomposedOps(model)) EXPECT_NE(op.op_type, "LayerNormalization");
}

TEST(DecomposedOps, TheStaticQuantizerKeepsEachUnitFloat) {
  const Model model = Load(Decomposed(13));
  Tensor calibration = Inputs();
  auto result = QuantizeStatic(model, QuantizationConfig{}, {{"x", calibration}});
  ASSERT_TRUE(result.ok()) << result.status().message();
  const auto& quantized = result->quantized_nodes;
  EXPECT_NE(std::find(quantized.begin(), quantized.end(), "fc"), quantized.end());
  for (const char* inside : {"ln_add_eps", "ln_scale", "ln_shift", "gelu_add", "gelu_mul", "silu_mul", "hs_add", "hs_mul"})
    EXPECT_EQ(std::find(quantized.begin(), quantized.end(), inside), quantized.end()) << inside;
  int units = 0;
  for (const QuantizationNote& note : result->notes)
    units += note.message.find("kept float as one unit, quantized only at its boundaries") != std::string::npos;
  EXPECT_EQ(units, 4);  // Softmax was fused into its op
}

}  // namespace
}  // namespace qplay
