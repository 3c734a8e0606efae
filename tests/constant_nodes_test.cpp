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

// A weight in an If branch's Constant node becomes that branch's initializer, and the summary
// counts the weights of every subgraph.
TEST(ConstantNodes, InSubgraphsBecomeTheirInitializersAndCount) {
  testing::ModelBuilder b(13);
  b.Input("cond", {}, onnx::TensorProto::BOOL).Input("x", {2}).Output("y");
  auto* node = b.Node("If", {"cond"}, {"y"}, "choose");
  for (const char* branch : {"then_branch", "else_branch"}) {
    auto* g = testing::SetGraph(node, branch);
    auto* constant = g->add_node();
    constant->set_op_type("Constant");
    constant->add_output(std::string(branch) + "_w");
    testing::SetFloats(constant, "value_floats", {2, 3});
    auto* mul = g->add_node();
    mul->set_op_type("Mul");
    mul->add_input("x");
    mul->add_input(std::string(branch) + "_w");
    mul->add_output("r");
    g->add_output()->set_name("r");
  }
  const std::string bytes = b.Bytes();
  auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "if.onnx");
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_TRUE(model->graph.nodes[0].attributes.at("then_branch").g->IsInitializer("then_branch_w"));
  EXPECT_EQ(Summarize(*model).parameter_count, 4);
  auto session = Session::Create(*model);
  ASSERT_TRUE(session.ok()) << session.status().message();
  auto out = session->Run({{"cond", Tensor::Scalar<bool>(true)}, {"x", Tensor::FromVector<float>({2}, {1, 2})}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->at("y").data<float>()[1], 6.0f);
}

}  // namespace
}  // namespace qplay
