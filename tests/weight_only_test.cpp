// Weight-only quantization: 8-bit per-channel weights behind DequantizeLinear, 4-bit blocks as
// com.microsoft MatMulNBits (whose reference kernel is checked on hand-made blocks here).
#include <gtest/gtest.h>

#include "onnx/model.h"
#include "analysis/metrics.h"
#include "kernels/registry.h"
#include "quant/quantizer.h"
#include "runtime/session.h"
#include "test_data.h"
#include "test_paths.h"

namespace qplay {
namespace {

// y = A x dequantize(B)^T for A = ones [1, 16], two rows of one 16-weight block.
std::vector<float> RunNBits(const std::vector<Tensor>& inputs) {
  Node node;
  node.op_type = "MatMulNBits";
  node.domain = "com.microsoft";
  node.inputs.resize(inputs.size(), "x");
  node.outputs = {"y"};
  node.attributes = {{"K", Attribute::Int(16)}, {"N", Attribute::Int(2)}, {"bits", Attribute::Int(4)}, {"block_size", Attribute::Int(16)}};
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

TEST(WeightOnly, ConfigErrorsAreNamed) {
  auto message = [](const std::string& json) { return QuantizationConfig::FromJson(json).status().message(); };
  EXPECT_EQ(message(R"({"mode": "weight_only", "weight_bits": 5})"), "weight_bits must be 4 or 8, got 5");
  EXPECT_EQ(message(R"({"mode": "weight_only", "weight_bits": 4, "block_size": 24})"), "block_size must be a power of 2 from 16 to 256, got 24");
  EXPECT_EQ(message(R"({"weight_bits": 4})"), "4-bit weights are written for mode weight_only only");
}

}  // namespace
}  // namespace qplay
