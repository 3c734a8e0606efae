// Backend presets: each imposes its types, symmetry, granularity, shared and fixed parameters.
#include <gtest/gtest.h>

#include <cstring>

#include "onnx/model.h"
#include "model_builder.h"
#include "passes/graph_edit.h"
#include "quant/backend.h"
#include "quant/static_quantizer.h"
#include "runtime/session.h"
#include "test_data.h"
#include "test_paths.h"

namespace qplay {
namespace {

QuantizationConfig ConfigFor(const std::string& backend) {
  QuantizationConfig c;
  FindBackend(backend)->ApplyDefaults(c);
  c.calibration_limit = 20;
  return c;
}

Tensor Calibration() { return testing::LoadSourceNpy("examples/data/calibration_images.npy"); }

const Tensor* WeightOf(const Graph& g, const std::string& op) {
  for (const Node& n : g.nodes)
    if (n.op_type == op)
      for (const Node& dq : g.nodes)
        if (dq.op_type == "DequantizeLinear" && dq.outputs[0] == n.inputs[1]) return &g.initializers.at(dq.inputs[1]);
  return nullptr;
}

TEST(Backends, NamesAndUnknownBackend) {
  EXPECT_EQ(BackendNames(), (std::vector<std::string>{"onnxruntime", "onnxruntime-qoperator", "tflite", "tensorrt", "xnnpack"}));
  const std::string expected = "unknown backend 'tvm'; expected one of onnxruntime, onnxruntime-qoperator, tflite, tensorrt, xnnpack";
  EXPECT_EQ(FindBackend("tvm").status().message(), expected);
  EXPECT_EQ(QuantizationConfig::FromJson(R"({"backend": "tvm"})").status().message(), expected);
}

TEST(Backends, ConfigJsonStartsFromTheBackendDefaults) {
  auto c = QuantizationConfig::FromJson(R"({"backend": "tflite", "per_channel": false})");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->activation_type, DataType::kInt8);
  EXPECT_FALSE(c->per_channel) << "explicit keys override the preset";
}

TEST(Backends, TfLiteInt8ActivationsPerChannelConvPerTensorGemm) {
  Model model = LoadModelFile(testing::SourcePath("examples/models/cnn.onnx")).value();
  auto result = QuantizeStatic(model, ConfigFor("tflite"), {{"input", Calibration()}});
  ASSERT_TRUE(result.ok()) << result.status().message();
  const Graph& g = result->model.graph;
  for (const Node& n : g.nodes)
    if (n.op_type == "QuantizeLinear") EXPECT_EQ(g.initializers.at(n.inputs[2]).dtype(), DataType::kInt8) << n.name;
  ASSERT_NE(WeightOf(g, "Conv"), nullptr);
  EXPECT_EQ(WeightOf(g, "Conv")->rank(), 1) << "per-channel Conv scales";
  EXPECT_EQ(WeightOf(g, "Gemm")->rank(), 0) << "per-tensor fully connected";
}

TEST(Backends, TensorRtIsSymmetricEverywhere) {
  Model model = LoadModelFile(testing::SourcePath("examples/models/cnn.onnx")).value();
  auto result = QuantizeStatic(model, ConfigFor("tensorrt"), {{"input", Calibration()}});
  ASSERT_TRUE(result.ok()) << result.status().message();
  for (const auto& [name, p] : result->activations) EXPECT_EQ(p.zero_point, 0) << name;
}

// x -> Sigmoid -> s ; Concat(s, t = Relu(x)) -> y
Model SigmoidConcatModel() {
  testing::ModelBuilder b;
  b.Input("x", {-1, 4}).Output("y");
  b.Node("Sigmoid", {"x"}, {"s"});
  b.Node("Tanh", {"x"}, {"t"});
  auto* concat = b.Node("Concat", {"s", "t"}, {"c"});
  auto* axis = concat->add_attribute();
  axis->set_name("axis");
  axis->set_type(onnx::AttributeProto::INT);
  axis->set_i(1);
  b.Node("Neg", {"c"}, {"y"});
  std::string bytes = b.Bytes();
  return LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).value();
}

TEST(Backends, FixedAndSharedParameters) {
  Tensor samples(DataType::kFloat, {8, 4});
  for (int64_t i = 0; i < samples.size(); ++i) samples.data<float>()[i] = static_cast<float>(i % 9) - 4.0f;
  QuantizationConfig tflite = ConfigFor("tflite");
  tflite.op_types_to_quantize = {"Sigmoid", "Tanh"};
  auto fixed = QuantizeStatic(SigmoidConcatModel(), tflite, {{"x", samples}});
  ASSERT_TRUE(fixed.ok()) << fixed.status().message();
  EXPECT_FLOAT_EQ(fixed->activations.at("s").scale, 1.0f / 256);
  EXPECT_EQ(fixed->activations.at("s").zero_point, -128);
  EXPECT_FLOAT_EQ(fixed->activations.at("t").scale, 1.0f / 128);
  EXPECT_EQ(fixed->activations.at("t").zero_point, 0);

  QuantizationConfig ort = ConfigFor("onnxruntime");
  auto shared = QuantizeStatic(SigmoidConcatModel(), ort, {{"x", samples}});
  ASSERT_TRUE(shared.ok()) << shared.status().message();
  const QParams& s = shared->activations.at("s");
  const QParams& c = shared->activations.at("c");
  EXPECT_EQ(s.scale, c.scale) << "Concat inputs and output share one set";
  EXPECT_EQ(s.zero_point, c.zero_point);
}

TEST(Backends, ClipIsFusedIntoItsProducer) {
  // y = Clip(Gemm(x, w), 0, 6): the Clip disappears and the Gemm's output is quantized to [0, 6].
  testing::ModelBuilder b;
  b.Input("x", {-1, 4}).Output("y");
  std::vector<float> w(16);
  for (int i = 0; i < 16; ++i) w[i] = static_cast<float>((i * 7) % 11) / 5.0f - 0.8f;
  b.Initializer("w", {4, 4}, w).Initializer("lo", {}, {0.0f}).Initializer("hi", {}, {6.0f});
  b.Node("Gemm", {"x", "w"}, {"g"});
  b.Node("Clip", {"g", "lo", "hi"}, {"c"});
  b.Node("Neg", {"c"}, {"y"});
  std::string bytes = b.Bytes();
  Model model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).value();
  Tensor x(DataType::kFloat, {64, 4});
  for (int64_t i = 0; i < x.size(); ++i) x.data<float>()[i] = static_cast<float>((i * 13) % 17) / 2.0f - 4.0f;
  auto result = QuantizeStatic(model, ConfigFor("onnxruntime"), {{"x", x}});
  ASSERT_TRUE(result.ok()) << result.status().message();
  for (const Node& n : result->model.graph.nodes) EXPECT_NE(n.op_type, "Clip");
  const QParams& p = result->activations.at("c");
  auto expected = Session::Create(model)->Run({{"x", x}});
  auto got = Session::Create(result->model)->Run({{"x", x}});
  ASSERT_TRUE(expected.ok() && got.ok());
  for (int64_t i = 0; i < x.size(); ++i)
    EXPECT_NEAR(got->at("y").data<float>()[i], expected->at("y").data<float>()[i], 2 * p.scale) << i;
}

TEST(Backends, ConstantOperandsOfAddAreQuantizedExceptForTensorRt) {
  // A linear layer on a sequence: MatMul on 3-D input, then Add of the bias (not a Gemm).
  testing::ModelBuilder b;
  b.Input("x", {-1, 2, 4}).Output("y");
  std::vector<float> w(12);
  for (int i = 0; i < 12; ++i) w[i] = static_cast<float>(i % 5) * 0.5f - 1.0f;
  b.Initializer("w", {4, 3}, w).Initializer("bias", {3}, {0.5f, -0.25f, 1.0f});
  b.Node("MatMul", {"x", "w"}, {"m"});
  b.Node("Add", {"m", "bias"}, {"a"});
  b.Node("Neg", {"a"}, {"y"});
  std::string bytes = b.Bytes();
  Model model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).value();
  Tensor x(DataType::kFloat, {16, 2, 4});
  for (int64_t i = 0; i < x.size(); ++i) x.data<float>()[i] = static_cast<float>((i * 5) % 9) / 4.0f - 1.0f;
  auto add_reads_float_bias = [&](const std::string& backend) {
    auto result = QuantizeStatic(model, ConfigFor(backend), {{"x", x}});
    EXPECT_TRUE(result.ok()) << result.status().message();
    for (const Node& n : result->model.graph.nodes)
      if (n.op_type == "Add") return result->model.graph.IsInitializer(n.inputs[1]);
    return false;
  };
  EXPECT_FALSE(add_reads_float_bias("onnxruntime")) << "bias stored as uint8 behind a DequantizeLinear";
  EXPECT_TRUE(add_reads_float_bias("tensorrt"));
}

void SetString(onnx::NodeProto* node, const std::string& name, const std::string& value) {
  auto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(value);
}

// x [N,1,3,3] -> Relu -> Pad(0) -> Resize(nearest) -> Pad(-2) -> Resize(linear) -> Add(itself) -> y
Model PadResizeModel() {
  testing::ModelBuilder b;
  b.Input("x", {-1, 1, 3, 3}).Output("y");
  auto* pads = b.graph()->add_initializer();
  pads->set_name("pads");
  pads->set_data_type(onnx::TensorProto::INT64);
  pads->add_dims(8);
  for (int64_t p : {0, 0, 1, 1, 0, 0, 1, 1}) pads->add_int64_data(p);
  b.Initializer("zero", {}, {0.0f}).Initializer("minus_two", {}, {-2.0f}).Initializer("scales", {4}, {1, 1, 2, 2});
  b.Node("Relu", {"x"}, {"r"});
  b.Node("Pad", {"r", "pads", "zero"}, {"padded"});
  b.Node("Resize", {"padded", "", "scales"}, {"nearest"});
  b.Node("Pad", {"nearest", "pads", "minus_two"}, {"padded_by_value"});
  SetString(b.Node("Resize", {"padded_by_value", "", "scales"}, {"linear"}), "mode", "linear");
  b.Node("Add", {"linear", "linear"}, {"y"});
  std::string bytes = b.Bytes();
  return LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).value();
}

TEST(Backends, PadAndNearestResizeKeepTheirInputsParameters) {
  Tensor x(DataType::kFloat, {8, 1, 3, 3});
  for (int64_t i = 0; i < x.size(); ++i) x.data<float>()[i] = static_cast<float>((i * 7) % 13) / 3.0f - 1.0f;
  const Model model = PadResizeModel();
  for (const std::string backend : {"onnxruntime", "onnxruntime-qoperator"}) {
    auto result = QuantizeStatic(model, ConfigFor(backend), {{"x", x}});
    ASSERT_TRUE(result.ok()) << result.status().message();
    const auto& a = result->activations;
    for (const char* moved : {"padded", "nearest"}) {
      EXPECT_EQ(a.at(moved).scale, a.at("r").scale) << moved << " copies elements or pads with 0";
      EXPECT_EQ(a.at(moved).zero_point, a.at("r").zero_point) << moved;
    }
    EXPECT_NE(a.at("padded_by_value").zero_point, a.at("nearest").zero_point) << "-2 widens the range: parameters of its own";

    // The engine runs the copies on the 8-bit tensor, padding with the zero point, and agrees with float.
    auto session = Session::Create(result->model);
    ASSERT_TRUE(session.ok()) << session.status().message();
    const Graph& runs = session->model().graph;
    int on_8_bits = 0, in_float = 0;
    for (const Node& n : runs.nodes)
      if (n.op_type == "Pad" || n.op_type == "Resize") (IsFloatValue(runs, n.inputs[0]) ? in_float : on_8_bits) += 1;
    EXPECT_EQ(on_8_bits, 2) << backend << ": Pad(0) and nearest Resize";
    EXPECT_EQ(in_float, 2) << backend << ": Pad(-2) and linear Resize";
    auto expected = Session::Create(model)->Run({{"x", x}});
    auto got = session->Run({{"x", x}});
    ASSERT_TRUE(expected.ok() && got.ok()) << got.status().message();
    const float step = a.at("linear").scale;
    for (int64_t i = 0; i < got->at("y").size(); ++i)
      ASSERT_NEAR(got->at("y").data<float>()[i], expected->at("y").data<float>()[i], 4 * step) << backend << " at " << i;
  }
}

}  // namespace
}  // namespace qplay
