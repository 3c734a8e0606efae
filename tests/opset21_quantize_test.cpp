// Opset 21's QuantizeLinear and DequantizeLinear: int4 and uint4 tensors (packed two a byte in
// the file, one a byte in memory), block_size and output_dtype, and the errors bad blocks get.
// Their agreement with onnxruntime-node is checked in wasm-tests/wasm/zoo-coverage.test.mjs
// (dq_int4_blocked_matmul_op21, q_uint4_blocked_op21, qdq_int16_per_channel_op21).
#include <gtest/gtest.h>

#include "model_builder.h"
#include "onnx/model.h"
#include "runtime/session.h"

namespace qplay {
namespace {

// x [2, 5] quantized by QuantizeLinear-21 with blocks of 2 along axis 1 (3 blocks, the last
// short) to `output_dtype`, then dequantized.
struct Blocked {
  Result<Tensor> quantized = Status(), restored = Status();
};

Blocked QuantizeInBlocks(int64_t output_dtype, std::vector<int64_t> scale_dims = {2, 3}) {
  testing::ModelBuilder b(21);
  b.Input("x", {2, 5}).Output("q", {}, static_cast<int>(output_dtype)).Output("y");
  int64_t count = 1;
  for (int64_t d : scale_dims) count *= d;
  std::vector<float> scales;
  for (int64_t i = 0; i < count; ++i) scales.push_back(0.5f * static_cast<float>(i + 1));
  b.Initializer("scale", scale_dims, scales);
  auto* q = b.Node("QuantizeLinear", {"x", "scale"}, {"q"}, "q");
  testing::SetInt(q, "block_size", 2);
  testing::SetInt(q, "output_dtype", output_dtype);
  testing::SetInt(b.Node("DequantizeLinear", {"q", "scale"}, {"y"}, "dq"), "block_size", 2);
  const std::string bytes = b.Bytes();
  auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "blocked.onnx");
  if (!model.ok()) return {model.status(), model.status()};
  auto session = Session::Create(*model);
  if (!session.ok()) return {session.status(), session.status()};
  Tensor x(DataType::kFloat, {2, 5});
  for (int64_t i = 0; i < x.size(); ++i) x.data<float>()[i] = static_cast<float>(i) - 4.0f;  // -4 .. 5
  auto out = session->Run({{"x", x}});
  if (!out.ok()) return {out.status(), out.status()};
  return {out->at("q"), out->at("y")};
}

TEST(Opset21Quantize, BlocksShareOneScaleAndFourBitTypesSaturate) {
  // Row 0 is -4..0 with scales 0.5 (elements 0, 1), 1 (2, 3), 1.5 (4); row 1 is 1..5 with 2, 2.5, 3.
  auto int4 = QuantizeInBlocks(static_cast<int64_t>(DataType::kInt4));
  ASSERT_TRUE(int4.quantized.ok()) << int4.quantized.status().message();
  EXPECT_EQ(int4.quantized->dtype(), DataType::kInt4);
  const int8_t* q = int4.quantized->data<int8_t>();
  EXPECT_EQ(std::vector<int>(q, q + 10), (std::vector<int>{-8, -6, -2, -1, 0, 0, 1, 1, 2, 2}));
  EXPECT_FLOAT_EQ(int4.restored->data<float>()[0], -4.0f);  // -8 * 0.5
  auto uint4 = QuantizeInBlocks(static_cast<int64_t>(DataType::kUint4));
  ASSERT_TRUE(uint4.quantized.ok()) << uint4.quantized.status().message();
  const uint8_t* u = uint4.quantized->data<uint8_t>();
  EXPECT_EQ(std::vector<int>(u, u + 10), (std::vector<int>{0, 0, 0, 0, 0, 0, 1, 1, 2, 2}));
}

TEST(Opset21Quantize, ABlockedScaleOfTheWrongShapeIsNamed) {
  EXPECT_EQ(QuantizeInBlocks(static_cast<int64_t>(DataType::kInt4), {2, 2}).quantized.status().message(),
            "node 'q' (QuantizeLinear): blocked scale must have shape [2, 3] (X's, with axis 1 in blocks of 2), got [2, 2]");
}

TEST(Opset21Quantize, FourBitInitializersUnpackAndPackAgain) {
  // Five int4 values packed in three bytes, the first of each pair in the low nibble.
  testing::ModelBuilder b(21);
  b.Input("x", {5}).Output("y");
  auto* w = b.graph()->add_initializer();
  w->set_name("w");
  w->set_data_type(static_cast<int>(DataType::kInt4));
  w->add_dims(5);
  w->set_raw_data(std::string{'\x8f', '\x21', '\x07'});  // -1, -8 | 1, 2 | 7
  b.Initializer("scale", {}, {1.0f});
  b.Node("DequantizeLinear", {"w", "scale"}, {"w_float"}, "dq");
  b.Node("Add", {"x", "w_float"}, {"y"}, "add");
  const std::string bytes = b.Bytes();
  auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "int4.onnx");
  ASSERT_TRUE(model.ok()) << model.status().message();
  const Tensor& weights = model->graph.initializers.at("w");
  EXPECT_EQ(std::vector<int>(weights.data<int8_t>(), weights.data<int8_t>() + 5), (std::vector<int>{-1, -8, 1, 2, 7}));
  auto saved = SaveModel(*model);
  ASSERT_TRUE(saved.ok()) << saved.status().message();
  auto reloaded = LoadModel(reinterpret_cast<const uint8_t*>(saved->data()), saved->size(), "int4 saved");
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().message();
  const Tensor& again = reloaded->graph.initializers.at("w");
  EXPECT_EQ(std::vector<int>(again.data<int8_t>(), again.data<int8_t>() + 5), (std::vector<int>{-1, -8, 1, 2, 7}));

  w->set_raw_data(std::string{'\x8f', '\x21'});
  const std::string truncated = b.Bytes();
  EXPECT_EQ(LoadModel(reinterpret_cast<const uint8_t*>(truncated.data()), truncated.size(), "int4.onnx").status().message(),
            "int4.onnx: initializer 'w' of shape [5] and type int4 packs 5 values in 3 bytes but stores 2");
}

}  // namespace
}  // namespace qplay
