// The optimizer sessions run with (passes/inference_optimization.h), on a model written the way
// paddle2onnx writes one: weights in Constant nodes, BatchNormalization after a Conv, HardSwish
// spelled out at opset 11. The rewrite fuses what it should, leaves values others read, and
// computes what the model as written computes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "model_builder.h"
#include "onnx/model.h"
#include "passes/inference_optimization.h"
#include "quant/dynamic_quantizer.h"
#include "runtime/session.h"
#include "test_data.h"
#include "test_paths.h"

namespace qplay {
namespace {

std::vector<float> Values(size_t n, float scale, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-scale, scale);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

// x [1, 3, 8, 8] -> Conv (weight in a Constant node) -> BatchNormalization -> x * Clip(x + 3, 0, 6) / 6
// -> Conv -> Relu -> Conv, whose output is both the graph output "features" and Sigmoid's input
// ("y"): that last Conv keeps its output.
std::string PaddleStyleModel() {
  testing::ModelBuilder b(11);
  b.Input("x", {1, 3, 8, 8}).Output("y").Output("features");
  auto* weight = b.Node("Constant", {}, {"w1"}, "w1_const");
  auto* value = weight->add_attribute();
  value->set_name("value");
  value->set_type(onnx::AttributeProto::TENSOR);
  value->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : {4, 3, 3, 3}) value->mutable_t()->add_dims(d);
  for (float v : Values(108, 0.5f, 1)) value->mutable_t()->add_float_data(v);
  b.Initializer("gamma", {4}, {1.5f, 0.5f, 1, 2}).Initializer("beta", {4}, {0.1f, -0.2f, 0, 0.3f});
  b.Initializer("mean", {4}, {0.2f, -0.1f, 0, 0.05f}).Initializer("var", {4}, {0.5f, 1.5f, 1, 0.8f});
  b.Initializer("three", {}, {3}).Initializer("zero", {}, {0}).Initializer("six", {}, {6});
  b.Initializer("w2", {4, 4, 1, 1}, Values(16, 0.7f, 2)).Initializer("b2", {4}, {0.1f, -0.1f, 0.2f, 0});
  b.Initializer("w3", {2, 4, 3, 3}, Values(72, 0.4f, 3));
  auto* conv1 = b.Node("Conv", {"x", "w1"}, {"c1"}, "conv1");
  testing::SetInts(conv1, "pads", {1, 1, 1, 1});
  b.Node("BatchNormalization", {"c1", "gamma", "beta", "mean", "var"}, {"bn"}, "bn");
  b.Node("Add", {"bn", "three"}, {"shifted"}, "hs_add");
  b.Node("Clip", {"shifted", "zero", "six"}, {"clipped"}, "hs_clip");
  b.Node("Mul", {"bn", "clipped"}, {"product"}, "hs_mul");
  b.Node("Div", {"product", "six"}, {"hs"}, "hs_div");
  b.Node("Conv", {"hs", "w2", "b2"}, {"c2"}, "conv2");
  b.Node("Relu", {"c2"}, {"r2"}, "relu2");
  b.Node("Conv", {"r2", "w3"}, {"features"}, "conv3");
  b.Node("Sigmoid", {"features"}, {"y"}, "sigmoid");
  return b.Bytes();
}

Model Load(const std::string& bytes) {
  auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "paddle_style.onnx");
  EXPECT_TRUE(model.ok()) << model.status().message();
  return std::move(model.value());
}

TEST(InferenceOptimization, FoldsAndFusesWhatAPaddleExportSpellsOut) {
  Model model = Load(PaddleStyleModel());
  auto reports = OptimizeForInference(model);
  ASSERT_TRUE(reports.ok()) << reports.status().message();
  std::vector<std::string> ops;
  for (const Node& node : model.graph.nodes)
    ops.push_back(node.op_type + (node.attributes.count("activation") ? "(" + node.GetString("activation", "") + ")" : ""));
  EXPECT_EQ(ops, (std::vector<std::string>{"FusedConv(HardSwish)", "FusedConv(Relu)", "Conv", "Sigmoid"}));
  EXPECT_EQ(model.opsets.at("com.microsoft"), 1);
}

TEST(InferenceOptimization, AnOptimizedSessionComputesWhatTheModelSays) {
  const Model model = Load(PaddleStyleModel());
  auto as_written = Session::Create(model);
  auto optimized = Session::Create(model, {.optimize = true});
  ASSERT_TRUE(as_written.ok() && optimized.ok());
  const std::vector<float> pixels = Values(192, 4.0f, 4);
  const TensorMap inputs{{"x", Tensor::FromVector<float>({1, 3, 8, 8}, pixels)}};
  auto expected = as_written->Run(inputs);
  auto got = optimized->Run(inputs);
  ASSERT_TRUE(expected.ok() && got.ok());
  for (const char* name : {"y", "features"}) {
    const Tensor &e = expected->at(name), &g = got->at(name);
    ASSERT_EQ(e.shape(), g.shape()) << name;
    for (int64_t i = 0; i < e.size(); ++i) EXPECT_NEAR(g.data<float>()[i], e.data<float>()[i], 1e-5f) << name << " element " << i;
  }
  // The session as written still produces every intermediate for observers (calibration).
  std::set<std::string> seen;
  ASSERT_TRUE(as_written->Run(inputs, [&](const Node&, const std::string& value, const Tensor&) { seen.insert(value); }).ok());
  EXPECT_TRUE(seen.count("bn") && seen.count("c2"));
}

// quantize_dynamic's MatMulInteger, Cast and scale Mul run as one MatMulIntegerToFloat, with
// the same bits: the bundled transformer quantized dynamically, every MatMul included.
TEST(InferenceOptimization, DynamicMatMulsRunAsMatMulIntegerToFloatBitForBit) {
  const Model float_model = LoadModelFile(testing::SourcePath("examples/models/transformer.onnx")).value();
  QuantizationConfig config;
  config.mode = QuantMode::kDynamic;
  config.per_channel = true;
  const Model model = QuantizeDynamic(float_model, config).value().model;
  Model optimized = model;
  ASSERT_TRUE(OptimizeForInference(optimized).ok());
  const auto count = [](const Model& m, const char* op) {
    return std::count_if(m.graph.nodes.begin(), m.graph.nodes.end(), [&](const Node& n) { return n.op_type == op; });
  };
  EXPECT_GT(count(optimized, "MatMulIntegerToFloat"), 0);
  EXPECT_EQ(count(optimized, "MatMulIntegerToFloat"), count(model, "MatMulInteger"));
  EXPECT_EQ(count(optimized, "Cast"), count(model, "Cast") - count(model, "MatMulInteger"));
  const TensorMap inputs{{"input", testing::LoadSourceNpy("examples/data/evaluation_images.npy", 16)}};
  auto as_written = Session::Create(model)->Run(inputs);
  auto fused = Session::Create(model, {.optimize = true})->Run(inputs);
  ASSERT_TRUE(as_written.ok() && fused.ok());
  const Tensor &e = as_written->at("logits"), &g = fused->at("logits");
  EXPECT_EQ(std::memcmp(e.data<float>(), g.data<float>(), e.size() * sizeof(float)), 0);
}

TEST(InferenceOptimization, EightBitWeightsStayEightBit) {
  // A weight-only quantized MatMul: folding its DequantizeLinear would store the weight in float32, four times the bytes.
  testing::ModelBuilder b(13);
  b.Input("x", {2, 4}).Output("y");
  auto* w = b.graph()->add_initializer();
  w->set_name("w_q");
  w->set_data_type(onnx::TensorProto::INT8);
  for (int64_t d : {4, 3}) w->add_dims(d);
  w->set_raw_data(std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c", 12));
  b.Initializer("w_scale", {}, {0.5f});
  b.Node("DequantizeLinear", {"w_q", "w_scale"}, {"w"}, "dq");
  b.Node("MatMul", {"x", "w"}, {"y"}, "matmul");
  Model model = Load(b.Bytes());
  ASSERT_TRUE(OptimizeForInference(model).ok());
  ASSERT_EQ(model.graph.nodes.size(), 2u);
  EXPECT_EQ(model.graph.initializers.at("w_q").dtype(), DataType::kInt8);
}

}  // namespace
}  // namespace qplay
