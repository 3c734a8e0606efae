// The reference runtime: observers see every produced tensor, buffers are freed after last
// use, subgraphs run, and PyTorch-exported models match PyTorch's own outputs.
#include <gtest/gtest.h>

#include "onnx/model.h"
#include "model_builder.h"
#include "runtime/session.h"
#include "test_data.h"
#include "test_paths.h"

namespace qplay {
namespace {

using testing::ModelBuilder;

Model LoadBytes(const std::string& bytes) {
  auto m = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  EXPECT_TRUE(m.ok()) << m.status().message();
  return std::move(m.value());
}

using testing::LoadNpy;

TEST(Runtime, ObserverSeesEveryIntermediateOnceAndBuffersAreFreed) {
  ModelBuilder b;
  b.Input("x", {1, 3}).Output("d");
  b.Node("Relu", {"x"}, {"a"});
  b.Node("Neg", {"a"}, {"b"});
  b.Node("Abs", {"b"}, {"c"});
  b.Node("Add", {"c", "a"}, {"d"});
  Model model = LoadBytes(b.Bytes());
  auto session = Session::Create(model);
  ASSERT_TRUE(session.ok());
  std::vector<std::string> seen;
  Tensor b_tensor;
  auto out = session->Run({{"x", Tensor::FromVector<float>({1, 3}, {-1, 2, 3})}},
                          [&](const Node&, const std::string& name, const Tensor& t) {
                            seen.push_back(name);
                            if (name == "b") b_tensor = t;  // keep a reference: not freed under us
                          });
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c", "d"}));
  const float* d = out->at("d").data<float>();
  EXPECT_EQ(std::vector<float>(d, d + 3), (std::vector<float>{0, 4, 6}));
  EXPECT_EQ(b_tensor.data<float>()[1], -2.0f);
}

TEST(Runtime, ProgressHearsEachNodeAndCancelsTheRun) {
  ModelBuilder b;
  b.Input("x", {1, 3}).Output("c");
  b.Node("Relu", {"x"}, {"a"});
  b.Node("Neg", {"a"}, {"b"});
  b.Node("Abs", {"b"}, {"c"});
  Model model = LoadBytes(b.Bytes());
  auto session = Session::Create(model);
  ASSERT_TRUE(session.ok());
  const TensorMap x{{"x", Tensor::FromVector<float>({1, 3}, {-1, 2, 3})}};
  std::vector<std::pair<int64_t, int64_t>> heard;
  ASSERT_TRUE(session->Run(x, {}, [&](int64_t done, int64_t total) { return heard.emplace_back(done, total), true; }).ok());
  EXPECT_EQ(heard, (std::vector<std::pair<int64_t, int64_t>>{{1, 3}, {2, 3}, {3, 3}}));
  auto cancelled = session->Run(x, {}, [](int64_t done, int64_t) { return done < 2; });
  EXPECT_EQ(cancelled.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(cancelled.status().message(), "run cancelled after 2 of 3 nodes");
  EXPECT_TRUE(session->Run(x).ok());
}

// A Loop of 2^62 iterations: progress is heard inside it, so the run can stop long before
// the iteration limit.
TEST(Runtime, ProgressCancelsALongLoop) {
  auto model = LoadModelFile(testing::SourcePath("tests/hostile/loop_of_2_pow_62_iterations.onnx"));
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto session = Session::Create(*model);
  ASSERT_TRUE(session.ok()) << session.status().message();
  int64_t calls = 0;
  auto cancelled = session->Run({}, {}, [&](int64_t, int64_t) { return ++calls < 1000; });
  EXPECT_EQ(calls, 1000);
  EXPECT_EQ(cancelled.status().code(), StatusCode::kCancelled) << cancelled.status().message();
}

TEST(Runtime, IntermediatesAreReleasedAfterLastUse) {
  // A chain of 50 Relu nodes on a 1 MB tensor: if nothing were freed, 50 MB would stay alive.
  ModelBuilder b;
  b.Input("x", {256, 1024}).Output("v50");
  for (int i = 1; i <= 50; ++i) b.Node("Relu", {i == 1 ? "x" : "v" + std::to_string(i - 1)}, {"v" + std::to_string(i)});
  Model model = LoadBytes(b.Bytes());
  auto session = Session::Create(model);
  int alive_max = 0;
  std::vector<Tensor> watched;
  auto out = session->Run({{"x", Tensor(DataType::kFloat, {256, 1024})}}, [&](const Node&, const std::string&, const Tensor& t) {
    // Count how many observed buffers are still referenced by the runtime (use_count > our copy).
    watched.push_back(t);
    int alive = 0;
    for (const Tensor& w : watched) alive += w.use_count() > 1;
    alive_max = std::max(alive_max, alive);
  });
  ASSERT_TRUE(out.ok());
  EXPECT_LE(alive_max, 2) << "the runtime keeps at most the input and output of the running node";
}

TEST(Runtime, IfRunsTheChosenBranchWithOuterScopeValues) {
  ModelBuilder b;
  b.Input("cond", {}, onnx::TensorProto::BOOL).Input("x", {2}).Output("y");
  auto* node = b.Node("If", {"cond"}, {"y"}, "choose");
  for (const char* branch : {"then_branch", "else_branch"}) {
    auto* g = testing::SetGraph(node, branch);
    auto* n = g->add_node();
    n->set_op_type(std::string(branch) == "then_branch" ? "Neg" : "Abs");
    n->add_input("x");
    n->add_output("r");
    g->add_output()->set_name("r");
  }
  Model model = LoadBytes(b.Bytes());
  auto session = Session::Create(model);
  ASSERT_TRUE(session.ok()) << session.status().message();
  Tensor x = Tensor::FromVector<float>({2}, {-1, 2});
  auto then_out = session->Run({{"cond", Tensor::Scalar<bool>(true)}, {"x", x}});
  ASSERT_TRUE(then_out.ok()) << then_out.status().message();
  EXPECT_EQ(then_out->at("y").data<float>()[0], 1.0f);
  EXPECT_EQ(then_out->at("y").data<float>()[1], -2.0f);
  auto else_out = session->Run({{"cond", Tensor::Scalar<bool>(false)}, {"x", x}});
  EXPECT_EQ(else_out->at("y").data<float>()[1], 2.0f);
}

class PyTorchModels : public ::testing::TestWithParam<std::string> {};

TEST_P(PyTorchModels, MatchPyTorchOutputs) {
  const std::string base = testing::SourcePath("tests/models/" + GetParam());
  auto model = LoadModelFile(base + ".onnx");
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto session = Session::Create(*model);
  ASSERT_TRUE(session.ok()) << session.status().message();
  auto out = session->Run({{"input", LoadNpy(base + ".input.npy")}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  Tensor expected = LoadNpy(base + ".torch_output.npy");
  const Tensor& got = out->at("logits");
  ASSERT_EQ(got.shape(), expected.shape());
  for (int64_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got.data<float>()[i], expected.data<float>()[i], 1e-4) << i;
}

INSTANTIATE_TEST_SUITE_P(Exported, PyTorchModels, ::testing::Values("cnn_bn", "transformer_block", "lstm", "gru", "decoder"));

}  // namespace
}  // namespace qplay
