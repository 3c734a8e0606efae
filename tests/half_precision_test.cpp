// Models stored in float16 or bfloat16 load as float32 and compute in float32: weights are
// upcast, declared types and Casts to half precision become float32, and the summary says so.
#include <gtest/gtest.h>

#include "analysis/summary.h"
#include "model_builder.h"
#include "onnx/model.h"
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

TEST(HalfPrecision, ATruncatedHalfTensorIsNamed) {
  auto model = HalfModel(onnx::TensorProto::FLOAT16, std::string("\x00\x3E\x00", 3));
  EXPECT_EQ(model.status().message(),
            "half.onnx: initializer 'w' of shape [3] and type float16 should hold 3 values but stores 3 bytes");
}

}  // namespace
}  // namespace qplay
