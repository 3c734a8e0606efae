// The opset converter on small models: each adapted op computes what it computed before (in
// qplay's runtime, which runs every version), and what cannot be carried over is refused by name
// with the model left as it was. wasm-tests carries ONNX's conformance models and the test zoo
// through it and checks them in onnxruntime-node.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "model_builder.h"
#include "onnx/model.h"
#include "passes/opset_upgrade.h"
#include "quant/quantizer.h"
#include "run_cli.h"
#include "runtime/session.h"
#include "test_paths.h"

namespace qplay {
namespace {

Model Load(const testing::ModelBuilder& b) {
  const std::string bytes = b.Bytes();
  auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "m.onnx");
  EXPECT_TRUE(model.ok()) << model.status().message();
  return model.ok() ? std::move(*model) : Model{};
}

std::vector<float> RunOn(const Model& model, const Tensor& x) {
  auto session = Session::Create(model);
  EXPECT_TRUE(session.ok()) << session.status().message();
  if (!session.ok()) return {};
  auto out = session->Run({{"x", x}});
  EXPECT_TRUE(out.ok()) << out.status().message();
  if (!out.ok()) return {};
  const Tensor& y = out->at("y");
  return std::vector<float>(y.data<float>(), y.data<float>() + y.size());
}

Tensor Ramp(Shape shape) {
  Tensor t(DataType::kFloat, shape);
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = std::sin(0.7f * static_cast<float>(i)) * 3;
  return t;
}

// Carries `b`'s model to `target` and checks that it gives the same output on x; returns the
// converted model.
Model ExpectSameAfterUpgrade(const testing::ModelBuilder& b, const Tensor& x, int64_t target) {
  Model model = Load(b);
  const std::vector<float> before = RunOn(model, x);
  auto upgrade = UpgradeOpset(model, target);
  EXPECT_TRUE(upgrade.ok()) << upgrade.status().message();
  EXPECT_EQ(model.DefaultOpset(), target);
  const std::vector<float> after = RunOn(model, x);
  EXPECT_EQ(after.size(), before.size());
  for (size_t i = 0; i < before.size() && i < after.size(); ++i) EXPECT_NEAR(after[i], before[i], 1e-6) << i;
  return model;
}

TEST(OpsetUpgrade, SoftmaxOverTheTrailingDimsBecomesFlattenSoftmaxReshape) {
  testing::ModelBuilder b(11);
  b.Input("x", {2, 3, 4}).Output("y");
  testing::SetInt(b.Node("Softmax", {"x"}, {"y"}, "softmax"), "axis", 1);
  const Model model = ExpectSameAfterUpgrade(b, Ramp({2, 3, 4}), 13);
  std::vector<std::string> ops;
  for (const Node& node : model.graph.nodes) ops.push_back(node.op_type);
  EXPECT_EQ(ops, (std::vector<std::string>{"Shape", "Flatten", "Softmax", "Reshape"}));
}

TEST(OpsetUpgrade, AttributesThatBecameInputsKeepTheirValues) {
  testing::ModelBuilder clip(9);
  clip.Input("x", {2, 5}).Output("y");
  auto* node = clip.Node("Clip", {"x"}, {"y"}, "clip");
  testing::SetFloat(node, "min", -1.5f);
  testing::SetFloat(node, "max", 0.5f);
  EXPECT_EQ(ExpectSameAfterUpgrade(clip, Ramp({2, 5}), 21).graph.nodes[0].inputs.size(), 3u);

  testing::ModelBuilder reduce(11);
  reduce.Input("x", {2, 3, 4}).Output("y");
  testing::SetInts(reduce.Node("ReduceMean", {"x"}, {"y"}, "mean"), "axes", {0, 2});
  ExpectSameAfterUpgrade(reduce, Ramp({2, 3, 4}), 18);

  testing::ModelBuilder pad(10);
  pad.Input("x", {2, 3}).Output("y");
  auto* p = pad.Node("Pad", {"x"}, {"y"}, "pad");
  testing::SetInts(p, "pads", {0, 1, 1, 2});
  testing::SetFloat(p, "value", 7);
  ExpectSameAfterUpgrade(pad, Ramp({2, 3}), 21);

  testing::ModelBuilder split(12);
  split.Input("x", {6, 2}).Output("y").Output("z");
  testing::SetInts(split.Node("Split", {"x"}, {"y", "z"}, "split"), "split", {2, 4});
  ExpectSameAfterUpgrade(split, Ramp({6, 2}), 21);
}

TEST(OpsetUpgrade, UpsampleBecomesResize) {
  testing::ModelBuilder b(7);
  b.Input("x", {1, 1, 2, 3}).Output("y");
  testing::SetFloats(b.Node("Upsample", {"x"}, {"y"}, "up"), "scales", {1, 1, 2, 2});
  const Model model = ExpectSameAfterUpgrade(b, Ramp({1, 1, 2, 3}), 21);
  EXPECT_EQ(model.graph.nodes[0].op_type, "Resize");
}

TEST(OpsetUpgrade, RefusesByNameAndLeavesTheModelAsItWas) {
  testing::ModelBuilder b(8);
  b.Input("x", {2, 3, 4, 4}).Output("y");
  for (const char* name : {"scale", "bias", "mean", "var"}) b.Initializer(name, {3}, {1, 1, 1});
  testing::SetInt(b.Node("BatchNormalization", {"x", "scale", "bias", "mean", "var"}, {"y"}, "bn"), "spatial", 0);
  Model model = Load(b);
  auto upgrade = UpgradeOpset(model, 21);
  ASSERT_FALSE(upgrade.ok());
  EXPECT_EQ(upgrade.status().message(),
            "node 'bn' (BatchNormalization) cannot be carried to opset 9: spatial=0 (per-element statistics) has no later form");
  EXPECT_EQ(model.DefaultOpset(), 8);
  EXPECT_TRUE(model.graph.nodes[0].Has("spatial"));

  EXPECT_EQ(UpgradeOpset(model, 7).status().message(), "the model imports opset 8; qplay upgrades, it does not downgrade to 7");
  EXPECT_EQ(UpgradeOpset(model, 23).status().message(), "opset 23 is past the newest qplay knows, 22");

  testing::ModelBuilder unknown(9);
  unknown.Input("x", {2}).Output("y");
  unknown.Node("Frobnicate", {"x"}, {"y"}, "f");
  Model strange = Load(unknown);
  EXPECT_EQ(UpgradeOpset(strange, 13).status().message(),
            "node 'f' (Frobnicate) cannot be carried to opset 13: qplay does not know Frobnicate at opset 9");
}

TEST(OpsetUpgrade, TheCliWritesTheConvertedModel) {
  const std::string out = ::testing::TempDir() + "converted.onnx";
  auto r = testing::RunCli("convert " + testing::SourcePath("tests/models/cnn_bn.onnx") + " -o " + out + " --opset 21");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(" -> 21: "), std::string::npos) << r.output;
  auto converted = LoadModelFile(out);
  ASSERT_TRUE(converted.ok()) << converted.status().message();
  EXPECT_EQ(converted->DefaultOpset(), 21);
}

TEST(OpsetUpgrade, QuantizingAnOlderModelUpgradesItFirstUnlessToldNotTo) {
  testing::ModelBuilder b(9);
  b.Input("x", {1, 2, 4, 4}).Output("y");
  b.Initializer("w", {3, 2, 1, 1}, {1, -1, 0.5f, 2, -0.25f, 1});
  b.Node("Conv", {"x", "w"}, {"y"}, "conv");
  const Model model = Load(b);
  const SampleSet calibration = {{"x", Ramp({4, 2, 4, 4})}};
  QuantizationConfig config;
  config.per_channel = true;
  auto quantized = Quantize(model, config, calibration);
  ASSERT_TRUE(quantized.ok()) << quantized.status().message();
  EXPECT_EQ(quantized->model.DefaultOpset(), 13);
  const auto upgrade = std::find_if(quantized->passes.begin(), quantized->passes.end(),
                                    [](const PassReport& p) { return p.pass == kOpsetUpgradePass; });
  ASSERT_NE(upgrade, quantized->passes.end());
  EXPECT_EQ(upgrade->changes, (std::vector<std::string>{"ai.onnx opset 9 -> 13: 0 nodes rewritten by the converter's adapters"}));

  config.upgrade_opset = false;
  EXPECT_EQ(Quantize(model, config, calibration).status().message(),
            "this recipe needs ai.onnx opset 13; the model imports opset 9 (upgrade_opset is off)");
}

}  // namespace
}  // namespace qplay
