// float32 to float16 element conversion, and the float16 rewrite of a model (passes/
// float16_conversion): weights clamped and halved, ops kept in float32 between casts, graph edges
// kept float32 on request. onnxruntime-node runs the rewritten test zoo in
// wasm-tests/wasm/zoo-coverage.test.mjs.
#include <gtest/gtest.h>

#include <cmath>

#include "model_builder.h"
#include "onnx/model.h"
#include "passes/float16_conversion.h"
#include "runtime/session.h"

namespace qplay {
namespace {

TEST(FloatToHalf, RoundTripsEveryFiniteHalf) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    if (((bits >> 10) & 0x1f) == 0x1f) continue;
    ASSERT_EQ(FloatToHalf(HalfToFloat(DataType::kFloat16, static_cast<uint16_t>(bits))), bits) << bits;
  }
}

TEST(FloatToHalf, RoundsToNearestTiesToEven) {
  EXPECT_EQ(FloatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3c00);      // halfway between 1 and the next half: even
  EXPECT_EQ(FloatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);  // halfway, the other way
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -25)), 0x0000);             // half the smallest subnormal
  EXPECT_EQ(FloatToHalf(3 * std::ldexp(1.0f, -25)), 0x0002);
  EXPECT_EQ(FloatToHalf(65519.0f), 0x7bff);
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7c00);  // rounds past the largest half
  EXPECT_EQ(FloatToHalf(-INFINITY), 0xfc00);
  EXPECT_EQ(FloatToHalf(NAN) & 0x7e00, 0x7e00);
}

// x [1, 4] -> MatMul(w) -> m -> TopK(k = 2) -> values, indices; m -> Relu -> r.
std::string TopKModel() {
  testing::ModelBuilder b(13);
  b.Input("x", {1, 4}).Output("values", {1, 2}).Output("indices", {1, 2}, onnx::TensorProto::INT64).Output("r", {1, 4});
  b.Initializer("w", {4, 4}, {1, 0, 0, 0, 0, 1e-9f, 0, 0, 0, 0, 1e6f, 0, 0, 0, 0, -0.5f});
  auto* k = b.graph()->add_initializer();
  k->set_name("k");
  k->set_data_type(onnx::TensorProto::INT64);
  k->add_dims(1);
  k->add_int64_data(2);
  b.Node("MatMul", {"x", "w"}, {"m"}, "matmul");
  b.Node("TopK", {"m", "k"}, {"values", "indices"}, "topk");
  b.Node("Relu", {"m"}, {"r"}, "relu");
  return b.Bytes();
}

Model Load(const std::string& bytes) {
  auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "model.onnx");
  EXPECT_TRUE(model.ok()) << model.status().message();
  return std::move(model.value());
}

Model Reloaded(const Model& model) {
  auto bytes = ExportModel(model);
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  return Load(std::string(bytes->begin(), bytes->end()));
}

const Node* Producer(const Graph& graph, const std::string& value) {
  for (const Node& node : graph.nodes)
    if (std::find(node.outputs.begin(), node.outputs.end(), value) != node.outputs.end()) return &node;
  return nullptr;
}

TEST(Float16Conversion, HalvesWeightsAndKeepsTopKInFloat32BetweenCasts) {
  Model model = Load(TopKModel());
  const Float16Report report = ConvertToFloat16(model, {});
  EXPECT_EQ(report.float16_weights, 1);
  EXPECT_EQ(report.float32_nodes, 1);
  EXPECT_EQ(report.casts, 2);  // m to float32 for TopK; TopK's values back to float16
  const Tensor& w = model.graph.initializers.at("w");
  ASSERT_EQ(w.dtype(), DataType::kFloat16);
  const auto* bits = reinterpret_cast<const uint16_t*>(w.raw());
  EXPECT_EQ(HalfToFloat(DataType::kFloat16, bits[5]), HalfToFloat(DataType::kFloat16, FloatToHalf(1e-7f)));  // clamped up
  EXPECT_EQ(HalfToFloat(DataType::kFloat16, bits[10]), HalfToFloat(DataType::kFloat16, FloatToHalf(1e4f)));  // clamped down
  EXPECT_EQ(model.graph.TypeOf("x")->dtype, DataType::kFloat16);
  EXPECT_EQ(model.graph.TypeOf("m")->dtype, DataType::kFloat16);
  EXPECT_EQ(model.graph.TypeOf("values")->dtype, DataType::kFloat16);
  EXPECT_EQ(model.graph.TypeOf("indices")->dtype, DataType::kInt64);
  const Node* topk = Producer(model.graph, "indices");
  ASSERT_NE(topk, nullptr);
  EXPECT_EQ(Producer(model.graph, topk->inputs[0])->op_type, "Cast");
  EXPECT_EQ(Producer(model.graph, "values")->op_type, "Cast");  // the output keeps its name

  // The file loads (its types check), and runs as the float32 model does, to half precision.
  Model reloaded = Reloaded(model);
  EXPECT_EQ(reloaded.upcast_from, "float16");
  const Model original = Load(TopKModel());
  auto half = Session::Create(reloaded);
  auto single = Session::Create(original);
  ASSERT_TRUE(half.ok() && single.ok());
  const Tensor x = Tensor::FromVector<float>({1, 4}, {0.5f, 2, 0, 3});  // 0 where the weight was clamped
  auto got = half->Run({{"x", x}});
  auto want = single->Run({{"x", x}});
  ASSERT_TRUE(got.ok() && want.ok()) << got.status().message();
  EXPECT_EQ(got->at("indices").ToInt64Vector(), want->at("indices").ToInt64Vector());
  for (int64_t i = 0; i < 4; ++i)
    EXPECT_NEAR(got->at("r").data<float>()[i], want->at("r").data<float>()[i], 1e-3 * std::fabs(want->at("r").data<float>()[i]) + 1e-4);
}

TEST(Float16Conversion, KeepsFloat32EdgesAndNamedNodesOnRequest) {
  Model model = Load(TopKModel());
  Float16Options options;
  options.keep_io_types = true;
  options.keep_float32 = {"relu"};
  const Float16Report report = ConvertToFloat16(model, options);
  EXPECT_EQ(report.float32_nodes, 2);
  EXPECT_EQ(model.graph.TypeOf("x")->dtype, DataType::kFloat);
  EXPECT_EQ(model.graph.TypeOf("values")->dtype, DataType::kFloat);
  EXPECT_EQ(model.graph.TypeOf("r")->dtype, DataType::kFloat);
  EXPECT_EQ(Producer(model.graph, "r")->op_type, "Relu");  // computed in float32, nothing to cast
  EXPECT_EQ(Producer(model.graph, "values")->op_type, "TopK");
  EXPECT_EQ(model.graph.initializers.at("w").dtype(), DataType::kFloat16);
  Model reloaded = Reloaded(model);
  EXPECT_TRUE(reloaded.half_precision_io.empty());
}

TEST(Float16Conversion, QuantizedOpsKeepTheirFloat32Scales) {
  testing::ModelBuilder b(13);
  b.Input("x", {1, 4}).Output("y", {1, 4});
  b.Initializer("scale", {}, {0.1f});
  auto* q = b.graph()->add_initializer();
  q->set_name("q");
  q->set_data_type(onnx::TensorProto::INT8);
  q->add_dims(4);
  q->set_raw_data(std::string("\x01\x02\x03\x04", 4));
  b.Node("DequantizeLinear", {"q", "scale"}, {"w"}, "dq");
  b.Node("Mul", {"x", "w"}, {"y"}, "mul");
  Model model = Load(b.Bytes());
  const Float16Report report = ConvertToFloat16(model, {});
  EXPECT_EQ(report.float32_nodes, 1);
  EXPECT_EQ(model.graph.initializers.at("scale").dtype(), DataType::kFloat);
  EXPECT_EQ(model.graph.initializers.at("q").dtype(), DataType::kInt8);
  EXPECT_EQ(model.graph.TypeOf("w")->dtype, DataType::kFloat);
  EXPECT_EQ(Producer(model.graph, "y")->inputs[1], "w_float16");
  Reloaded(model);
}

}  // namespace
}  // namespace qplay
