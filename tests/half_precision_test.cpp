// Models stored in float16 or bfloat16 load as float32 and compute in float32: weights are
// upcast, declared types and Casts to half precision become float32, and the summary says so.
// Saved, converted or quantized, they keep the file's half-precision inputs and outputs.
#include <gtest/gtest.h>

#include <algorithm>

#include "analysis/summary.h"
#include "model_builder.h"
#include "onnx/model.h"
#include "onnx_schema/onnx.pb.h"
#include "quant/dynamic_quantizer.h"
#include "runtime/session.h"

namespace qplay {
namespace {

// x [1, 3] (half) * w (half initializer, 1.5 -0.25 65504) -> Cast to half -> y.
Result<Model> HalfModel(int elem_type, std::string raw_weight) {
  testing::ModelBuilder b(13);
  b.Input("x", {1, 3}, elem_type).Output("y", {1, 3}, elem_type);
  auto* w = b.graph()->add_initializer();
  w->set_name("w");
  w->set_data_type(elem_type);
  w->add_dims(3);
  w->set_raw_data(raw_weight);
  b.Node("Mul", {"x", "w"}, {"p"}, "scale");
  testing::SetInt(b.Node("Cast", {"p"}, {"y"}, "to_half"), "to", elem_type);
  const std::string bytes = b.Bytes();
  return LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "half.onnx");
}

std::vector<float> RunOnce(const Model& model) {
  auto session = Session::Create(model);
  EXPECT_TRUE(session.ok()) << session.status().message();
  auto out = session->Run({{"x", Tensor::FromVector<float>({1, 3}, {2, 4, 1})}});
  EXPECT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->at("y").dtype(), DataType::kFloat);
  const float* y = out->at("y").data<float>();
  return {y, y + 3};
}

TEST(HalfPrecision, Float16ComputesInFloat32) {
  // 1.5 = 0x3E00, -0.25 = 0xB400, 65504 (the largest float16) = 0x7BFF, little-endian.
  auto model = HalfModel(onnx::TensorProto::FLOAT16, std::string("\x00\x3E\x00\xB4\xFF\x7B", 6));
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(model->upcast_from, "float16");
  EXPECT_EQ(model->graph.TypeOf("x")->dtype, DataType::kFloat);
  EXPECT_EQ(RunOnce(*model), (std::vector<float>{3, -1, 65504}));
  EXPECT_NE(SummaryToText(Summarize(*model)).find("precision: float16 in the file, computed in float32"), std::string::npos);
}

TEST(HalfPrecision, BFloat16ComputesInFloat32) {
  // bfloat16 keeps a float32's top 16 bits: 1.5 = 0x3FC0, -0.25 = 0xBE80, 3.0e38 ~ 0x7F62.
  auto model = HalfModel(onnx::TensorProto::BFLOAT16, std::string("\xC0\x3F\x80\xBE\x62\x7F", 6));
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(model->upcast_from, "bfloat16");
  const std::vector<float> y = RunOnce(*model);
  EXPECT_EQ(y[0], 3);
  EXPECT_EQ(y[1], -1);
  EXPECT_FLOAT_EQ(y[2], 0x1.C4p+127f);
}

// The saved file's graph: its inputs' and outputs' element types and its nodes' ops, in order.
struct SavedGraph {
  std::vector<int> input_types, output_types;
  std::vector<std::string> ops;
};

SavedGraph Saved(const Model& model) {
  auto bytes = ExportModel(model);
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  onnx::ModelProto proto;
  EXPECT_TRUE(proto.ParseFromArray(bytes->data(), static_cast<int>(bytes->size())));
  SavedGraph g;
  for (const auto& v : proto.graph().input()) g.input_types.push_back(v.type().tensor_type().elem_type());
  for (const auto& v : proto.graph().output()) g.output_types.push_back(v.type().tensor_type().elem_type());
  for (const auto& n : proto.graph().node()) g.ops.push_back(n.op_type());
  return g;
}

TEST(HalfPrecision, ExportedModelsKeepTheFilesHalfPrecisionInputsAndOutputs) {
  auto model = HalfModel(onnx::TensorProto::FLOAT16, std::string("\x00\x3E\x00\xB4\xFF\x7B", 6));
  ASSERT_TRUE(model.ok()) << model.status().message();
  const SavedGraph saved = Saved(*model);
  EXPECT_EQ(saved.input_types, std::vector<int>{onnx::TensorProto::FLOAT16});
  EXPECT_EQ(saved.output_types, std::vector<int>{onnx::TensorProto::FLOAT16});
  EXPECT_EQ(saved.ops, (std::vector<std::string>{"Cast", "Mul", "Cast", "Cast"}));
  auto bytes = ExportModel(*model);
  auto reloaded = LoadModel(bytes->data(), bytes->size(), "saved half.onnx");
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().message();
  EXPECT_EQ(RunOnce(*reloaded), (std::vector<float>{3, -1, 65504}));
}

TEST(HalfPrecision, QuantizedModelsKeepTheFilesHalfPrecisionInputsAndOutputs) {
  // x [1, 3] (float16) MatMul w [3, 2] (float16) -> y (float16), quantized dynamically.
  testing::ModelBuilder b(13);
  b.Input("x", {1, 3}, onnx::TensorProto::FLOAT16).Output("y", {1, 2}, onnx::TensorProto::FLOAT16);
  auto* w = b.graph()->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT16);
  w->add_dims(3);
  w->add_dims(2);
  w->set_raw_data(std::string("\x00\x3E\x00\xB4\x00\x3C\x00\x40\x00\xB8\x00\x38", 12));  // 1.5 -0.25 1 2 -0.5 0.5
  b.Node("MatMul", {"x", "w"}, {"y"}, "matmul");
  const std::string bytes = b.Bytes();
  auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "half matmul.onnx");
  ASSERT_TRUE(model.ok()) << model.status().message();
  QuantizationConfig config;
  config.mode = QuantMode::kDynamic;
  auto quantized = QuantizeDynamic(*model, config);
  ASSERT_TRUE(quantized.ok()) << quantized.status().message();
  const SavedGraph saved = Saved(quantized->model);
  EXPECT_EQ(saved.input_types, std::vector<int>{onnx::TensorProto::FLOAT16});
  EXPECT_EQ(saved.output_types, std::vector<int>{onnx::TensorProto::FLOAT16});
  EXPECT_EQ(saved.ops.front(), "Cast");
  EXPECT_EQ(saved.ops.back(), "Cast");
  EXPECT_NE(std::find(saved.ops.begin(), saved.ops.end(), "MatMulInteger"), saved.ops.end());
}

TEST(HalfPrecision, ATruncatedHalfTensorIsNamed) {
  auto model = HalfModel(onnx::TensorProto::FLOAT16, std::string("\x00\x3E\x00", 3));
  EXPECT_EQ(model.status().message(),
            "half.onnx: initializer 'w' of shape [3] and type float16 should hold 3 values but stores 3 bytes");
}

}  // namespace
}  // namespace qplay
