// Weights kept in Constant nodes (as PaddlePaddle exports them) load as initializers: counted
// as parameters and quantized like any weight; a Constant that is a graph output stays a node.
#include <gtest/gtest.h>

#include "analysis/summary.h"
#include "model_builder.h"
#include "onnx/model.h"
#include "runtime/session.h"

namespace qplay {
namespace {

TEST(ConstantNodes, BecomeInitializersExceptGraphOutputs) {
  testing::ModelBuilder b(13);
  b.Input("x", {1, 3}).Output("y").Output("kept");
  testing::SetFloats(b.Node("Constant", {}, {"w"}, "w_const"), "value_floats", {1, 2, 3});
  testing::SetFloats(b.Node("Constant", {}, {"kept"}, "kept_const"), "value_floats", {7});
  b.Node("Mul", {"x", "w"}, {"y"}, "scale");
  const std::string bytes = b.Bytes();
  auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "constants.onnx");
  ASSERT_TRUE(model.ok()) << model.status().message();
  ASSERT_TRUE(model->graph.IsInitializer("w"));
  EXPECT_FALSE(model->graph.IsInitializer("kept"));
  ASSERT_EQ(model->graph.nodes.size(), 2u);
  EXPECT_EQ(model->graph.nodes[0].name, "kept_const");
  EXPECT_EQ(Summarize(*model).parameter_count, 3);
  auto session = Session::Create(*model);
  ASSERT_TRUE(session.ok()) << session.status().message();
  auto out = session->Run({{"x", Tensor::FromVector<float>({1, 3}, {1, 1, 2})}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  const float* y = out->at("y").data<float>();
  EXPECT_EQ(std::vector<float>(y, y + 3), (std::vector<float>{1, 2, 6}));
  EXPECT_EQ(out->at("kept").data<float>()[0], 7);
}

}  // namespace
}  // namespace qplay
