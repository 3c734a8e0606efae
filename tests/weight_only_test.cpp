// Weight-only quantization: 8-bit per-channel weights behind DequantizeLinear, 4- and 8-bit
// blocks as com.microsoft MatMulNBits (whose reference kernel, at accuracy levels 0 and 4, is
// checked on hand-made blocks here).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "onnx/model.h"
#include "analysis/metrics.h"
#include "kernels/registry.h"
#include "quant/quantizer.h"
#include "runtime/session.h"
#include "test_data.h"
#include "test_paths.h"

namespace qplay {
namespace {

// y = A x dequantize(B)^T for A [1, 16], two rows of one 16-weight block.
std::vector<float> RunNBits(const std::vector<Tensor>& inputs, int64_t accuracy_level = 0) {
  Node node;
  node.op_type = "MatMulNBits";
  node.domain = "com.microsoft";
  node.inputs.resize(inputs.size(), "x");
  node.outputs = {"y"};
  node.attributes = {{"K", Attribute::Int(16)}, {"N", Attribute::Int(2)}, {"bits", Attribute::Int(4)}, {"block_size", Attribute::Int(16)}};
  if (accuracy_level) node.attributes["accuracy_level"] = Attribute::Int(accuracy_level);
  std::vector<const Tensor*> pointers;
  for (const Tensor& t : inputs) pointers.push_back(&t);
  KernelContext ctx(node, 1, pointers, nullptr);
  Status status = KernelRegistry::Get().Find("com.microsoft", "MatMulNBits")(ctx);
  EXPECT_TRUE(status.ok()) << status.message();
  const Tensor& y = ctx.outputs()[0];
  return std::vector<float>(y.data<float>(), y.data<float>() + y.size());
}

TEST(WeightOnly, MatMulNBitsDequantizesPackedBlocks) {
  Tensor a(DataType::kFloat, {1, 16});
  for (int i = 0; i < 16; ++i) a.data<float>()[i] = 1.0f;
  Tensor b(DataType::kUint8, {2, 1, 8});
  for (int i = 0; i < 8; ++i) b.data<uint8_t>()[i] = 0x99, b.data<uint8_t>()[8 + i] = 0x77;  // codes 9 and 7
  const Tensor scales = Tensor::FromVector<float>({2}, {0.5f, 0.25f});
  EXPECT_EQ(RunNBits({a, b, scales}), (std::vector<float>{8.0f, -4.0f}));  // default zero point 8
  const Tensor zero_points = Tensor::FromVector<uint8_t>({2}, {9, 6});     // one block per row: low nibble
  EXPECT_EQ(RunNBits({a, b, scales, zero_points}), (std::vector<float>{0.0f, 4.0f}));
}

TEST(WeightOnly, AccuracyLevelFourRoundsEachBlockOfAToInt8) {
  // A's block rounds to int8 at scale max|a| / 127. B: codes 9 (row 0) and 7 (row 1) around 8,
  // scales 0.5 and 0.25, so each output is +-(the integer sum of A) times the two scales.
  Tensor a(DataType::kFloat, {1, 16});
  float amax = 0, sum = 0;
  for (int i = 0; i < 16; ++i) {
    a.data<float>()[i] = static_cast<float>((i * 7) % 11) / 9.3f - 0.31f;
    amax = std::max(amax, std::abs(a.data<float>()[i]));
    sum += a.data<float>()[i];
  }
  int32_t rounded_sum = 0;
  for (int i = 0; i < 16; ++i) rounded_sum += static_cast<int32_t>(std::nearbyint(a.data<float>()[i] * (127.0f / amax)));
  Tensor b(DataType::kUint8, {2, 1, 8});
  for (int i = 0; i < 8; ++i) b.data<uint8_t>()[i] = 0x99, b.data<uint8_t>()[8 + i] = 0x77;
  const Tensor scales = Tensor::FromVector<float>({2}, {0.5f, 0.25f});
  const float a_scale = amax / 127;
  const std::vector<float> in_int8 = RunNBits({a, b, scales}, 4);
  EXPECT_EQ(in_int8, (std::vector<float>{static_cast<float>(rounded_sum) * (a_scale * 0.5f), static_cast<float>(-rounded_sum) * (a_scale * 0.25f)}));
  const std::vector<float> in_float = RunNBits({a, b, scales});
  EXPECT_NEAR(in_float[0], sum * 0.5f, 1e-5);
  EXPECT_NE(in_int8[0], in_float[0]) << "int8 rounding of A shows";
  EXPECT_NEAR(in_int8[0], in_float[0], 16 * a_scale * 0.5f);
}

Model Transformer() { return LoadModelFile(testing::SourcePath("examples/models/transformer.onnx")).value(); }

double Agreement(const Model& a, const Model& b) {
  const Tensor x = testing::LoadSourceNpy("examples/data/evaluation_images.npy", 200);
  auto ya = Session::Create(a)->Run({{"input", x}});
  auto yb = Session::Create(b)->Run({{"input", x}});
  EXPECT_TRUE(ya.ok() && yb.ok()) << (yb.ok() ? "" : yb.status().message());
  ClassificationMetrics m;
  EXPECT_TRUE(AddClassificationBatch(m, ya->at("logits"), yb->at("logits"), nullptr).ok());
  return m.agreement();
}

int Count(const Graph& g, const std::string& op) {
  int n = 0;
  for (const Node& node : g.nodes) n += node.op_type == op;
  return n;
}

TEST(WeightOnly, FourAndEightBitTransformer) {
  const Model model = Transformer();
  QuantizationConfig four;
  four.mode = QuantMode::kWeightOnly;
  four.weight_bits = 4;
  four.block_size = 32;
  auto q4 = Quantize(model, four, {});
  ASSERT_TRUE(q4.ok()) << q4.status().message();
  EXPECT_EQ(Count(q4->model.graph, "MatMulNBits"), static_cast<int>(q4->quantized_nodes.size()));
  EXPECT_EQ(q4->model.opsets.at("com.microsoft"), 1);
  EXPECT_GE(Agreement(model, q4->model), 0.97);

  QuantizationConfig eight = four;
  eight.weight_bits = 8;
  auto q8 = Quantize(model, eight, {});
  ASSERT_TRUE(q8.ok()) << q8.status().message();
  EXPECT_EQ(Count(q8->model.graph, "DequantizeLinear"), static_cast<int>(q8->quantized_nodes.size()));
  EXPECT_EQ(Count(q8->model.graph, "QuantizeLinear"), 0) << "activations stay float";
  EXPECT_GE(Agreement(model, q8->model), 0.99);
}

TEST(WeightOnly, EightBitBlocksInQOperatorFormWithAnAccuracyLevel) {
  const Model model = Transformer();
  QuantizationConfig config;
  config.mode = QuantMode::kWeightOnly;
  config.format = QuantFormat::kQOperator;
  config.block_size = 64;
  config.accuracy_level = 4;
  auto q = Quantize(model, config, {});
  ASSERT_TRUE(q.ok()) << q.status().message();
  ASSERT_EQ(Count(q->model.graph, "MatMulNBits"), static_cast<int>(q->quantized_nodes.size()));
  for (const Node& n : q->model.graph.nodes)
    if (n.op_type == "MatMulNBits") {
      EXPECT_EQ(n.GetInt("bits", 0), 8);
      EXPECT_EQ(n.GetInt("accuracy_level", 0), 4);
      EXPECT_EQ(q->model.graph.initializers.at(n.inputs[1]).dim(2), 64) << "one byte per weight";
    }
  EXPECT_GE(Agreement(model, q->model), 0.99);
}

TEST(WeightOnly, ConfigErrorsAreNamed) {
  auto message = [](const std::string& json) { return QuantizationConfig::FromJson(json).status().message(); };
  EXPECT_EQ(message(R"({"mode": "weight_only", "weight_bits": 5})"), "weight_bits must be 4 or 8, got 5");
  EXPECT_EQ(message(R"({"mode": "weight_only", "weight_bits": 4, "block_size": 24})"), "block_size must be a power of 2 from 16 to 256, got 24");
  EXPECT_EQ(message(R"({"weight_bits": 4})"), "4-bit weights are written for mode weight_only only");
  EXPECT_EQ(message(R"({"mode": "weight_only", "accuracy_level": 4})"),
            "accuracy_level applies to MatMulNBits, which weight-only quantization writes for 4 bits, or for 8 bits in the QOperator format");
  EXPECT_EQ(message(R"({"mode": "weight_only", "weight_bits": 4, "accuracy_level": 5})"), "accuracy_level must be a whole number from 0 to 4, got 5");
}

}  // namespace
}  // namespace qplay
