// Embedding tables quantized: Gather on an 8-bit table then DequantizeLinear (dynamic, and
// weight-only in QDQ), com.microsoft GatherBlockQuantized (weight-only blocks), and that
// kernel on hand-made blocks. Agreement with onnxruntime on a text encoder is checked in
// wasm-tests/wasm/quantize.test.mjs.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/registry.h"
#include "model_builder.h"
#include "onnx/model.h"
#include "quant/quantizer.h"
#include "runtime/session.h"

namespace qplay {
namespace {

constexpr int64_t kRows = 30, kWidth = 40;

// ids [N, 5] -> Gather(table [30, 40]) -> embedded [N, 5, 40].
Model EmbeddingModel() {
  testing::ModelBuilder b;
  b.Input("ids", {-1, 5}, onnx::TensorProto::INT64).Output("embedded");
  std::vector<float> table(kRows * kWidth);
  for (int64_t i = 0; i < kRows * kWidth; ++i) table[i] = std::sin(static_cast<float>(i) * 0.37f) * (1 + static_cast<float>(i % 7));
  b.Initializer("table", {kRows, kWidth}, table);
  b.Node("Gather", {"table", "ids"}, {"embedded"}, "embed");
  std::string bytes = b.Bytes();
  return LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).value();
}

Tensor Ids() {
  Tensor ids(DataType::kInt64, {3, 5});
  for (int64_t i = 0; i < ids.size(); ++i) ids.data<int64_t>()[i] = (i * 11) % kRows;
  return ids;
}

// The largest difference between the quantized model's embeddings and the float ones.
float MaxError(const Model& quantized) {
  auto session = Session::Create(quantized);
  EXPECT_TRUE(session.ok()) << session.status().message();
  if (!session.ok()) return INFINITY;
  auto expected = Session::Create(EmbeddingModel())->Run({{"ids", Ids()}});
  auto got = session->Run({{"ids", Ids()}});
  EXPECT_TRUE(expected.ok() && got.ok()) << (got.ok() ? "" : got.status().message());
  float worst = 0;
  for (int64_t i = 0; i < expected->at("embedded").size(); ++i)
    worst = std::max(worst, std::abs(got->at("embedded").data<float>()[i] - expected->at("embedded").data<float>()[i]));
  return worst;
}

std::vector<std::string> Ops(const Model& m) {
  std::vector<std::string> ops;
  for (const Node& n : m.graph.nodes) ops.push_back(n.op_type);
  return ops;
}

QuantizationResult QuantizeWith(const std::string& json) {
  auto config = QuantizationConfig::FromJson(json);
  EXPECT_TRUE(config.ok()) << config.status().message();
  auto q = Quantize(EmbeddingModel(), *config, {});
  EXPECT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->quantized_nodes, std::vector<std::string>{"embed"});
  return std::move(q.value());
}

TEST(EmbeddingTables, DynamicGathersTheUint8TableThenDequantizes) {
  const QuantizationResult q = QuantizeWith(R"({"mode": "dynamic"})");
  EXPECT_EQ(Ops(q.model), (std::vector<std::string>{"Gather", "DequantizeLinear"}));
  const Node& gather = q.model.graph.nodes[0];
  EXPECT_EQ(q.model.graph.initializers.at(gather.inputs[0]).dtype(), DataType::kUint8);
  const float scale = q.model.graph.initializers.at(q.model.graph.nodes[1].inputs[1]).data<float>()[0];
  EXPECT_LE(MaxError(q.model), scale / 2 * 1.001f);
}

TEST(EmbeddingTables, WeightOnlyEightBitsInQdqUseTheWeightType) {
  const QuantizationResult q = QuantizeWith(R"({"mode": "weight_only"})");
  EXPECT_EQ(Ops(q.model), (std::vector<std::string>{"Gather", "DequantizeLinear"}));
  EXPECT_EQ(q.model.graph.initializers.at(q.model.graph.nodes[0].inputs[0]).dtype(), DataType::kInt8);
  const float scale = q.model.graph.initializers.at(q.model.graph.nodes[1].inputs[1]).data<float>()[0];
  EXPECT_LE(MaxError(q.model), scale / 2 * 1.001f);
}

TEST(EmbeddingTables, WeightOnlyBlocksBecomeGatherBlockQuantized) {
  for (const char* json : {R"({"mode": "weight_only", "weight_bits": 4, "block_size": 32})",
                           R"({"mode": "weight_only", "weight_bits": 4, "block_size": 16, "extra_options": {"WeightSymmetric": false}})",
                           R"({"mode": "weight_only", "quant_format": "QOperator", "block_size": 16})"}) {
    const QuantizationResult q = QuantizeWith(json);
    ASSERT_EQ(Ops(q.model), (std::vector<std::string>{"GatherBlockQuantized"})) << json;
    const Node& gather = q.model.graph.nodes[0];
    const int64_t bits = gather.GetInt("bits", 0), block = gather.GetInt("block_size", 0);
    const Tensor& data = q.model.graph.initializers.at(gather.inputs[0]);
    EXPECT_EQ(data.shape(), (Shape{kRows, kWidth * bits / 8})) << json;
    EXPECT_EQ(q.model.graph.initializers.at(gather.inputs[2]).shape(), (Shape{kRows, (kWidth + block - 1) / block})) << json;
    // Within half a step of the widest block: the table's largest |value| is 7, over 7 (4-bit) or 127 levels.
    const float widest_step = (bits == 4 ? 14.0f / (gather.inputs.size() > 3 ? 15 : 7) : 7.0f / 127);
    EXPECT_LE(MaxError(q.model), widest_step / 2 * 1.01f) << json;
  }
}

Tensor RunGatherBlockQuantized(const std::vector<Tensor>& inputs, int64_t bits, Status* status = nullptr) {
  Node node;
  node.op_type = "GatherBlockQuantized";
  node.domain = "com.microsoft";
  node.inputs = {"data", "indices", "scales", "zero_points"};
  node.inputs.resize(inputs.size());
  node.outputs = {"y"};
  node.attributes = {{"bits", Attribute::Int(bits)}, {"block_size", Attribute::Int(16)}};
  std::vector<const Tensor*> pointers;
  for (const Tensor& t : inputs) pointers.push_back(&t);
  KernelContext ctx(node, 1, pointers, nullptr);
  Status s = KernelRegistry::Get().Find("com.microsoft", "GatherBlockQuantized")(ctx);
  if (status) *status = s;
  else EXPECT_TRUE(s.ok()) << s.message();
  return s.ok() ? ctx.outputs()[0] : Tensor();
}

TEST(GatherBlockQuantizedKernel, UnpacksLowNibbleFirstAroundItsZeroPoint) {
  // Two rows of 32 four-bit values (two blocks each): row 0 codes 9 then 7 (bytes 0x79: low 9,
  // high 7), row 1 codes 3; scales per block; row 1 has stored zero points 2 and 4.
  Tensor data(DataType::kUint8, {2, 16});
  for (int i = 0; i < 16; ++i) data.data<uint8_t>()[i] = 0x79, data.data<uint8_t>()[16 + i] = 0x33;
  const Tensor scales = Tensor::FromVector<float>({2, 2}, {0.5f, 1.0f, 0.25f, 2.0f});
  const Tensor indices = Tensor::FromVector<int64_t>({2}, {-1, 0});
  Tensor y = RunGatherBlockQuantized({data, indices, scales}, 4);
  ASSERT_EQ(y.shape(), (Shape{2, 32}));
  EXPECT_FLOAT_EQ(y.data<float>()[0], (3 - 8) * 0.25f);   // row 1, block 0, default zero point 8
  EXPECT_FLOAT_EQ(y.data<float>()[16], (3 - 8) * 2.0f);   // row 1, block 1
  EXPECT_FLOAT_EQ(y.data<float>()[32], (9 - 8) * 0.5f);   // row 0: even positions hold the low nibble
  EXPECT_FLOAT_EQ(y.data<float>()[33], (7 - 8) * 0.5f);
  const Tensor zero_points = Tensor::FromVector<uint8_t>({2, 1}, {0x88, 0x42});
  y = RunGatherBlockQuantized({data, indices, scales, zero_points}, 4);
  EXPECT_FLOAT_EQ(y.data<float>()[0], (3 - 2) * 0.25f);
  EXPECT_FLOAT_EQ(y.data<float>()[16], (3 - 4) * 2.0f);
}

TEST(GatherBlockQuantizedKernel, NamesAnIndexOutOfRange) {
  Status status;
  RunGatherBlockQuantized({Tensor(DataType::kUint8, {2, 16}), Tensor::FromVector<int64_t>({1}, {2}), Tensor(DataType::kFloat, {2, 1})}, 8,
                          &status);
  EXPECT_EQ(status.message(), "index 2 is out of range for 2 rows");
}

}  // namespace
}  // namespace qplay
