// Graph passes keep the float model's outputs (1e-5 relative) and report what they changed.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "onnx/model.h"
#include "model_builder.h"
#include "passes/passes.h"
#include "runtime/session.h"
#include "test_data.h"
#include "test_paths.h"

namespace qplay {
namespace {

Tensor EvaluationBatch(int64_t count) { return testing::LoadSourceNpy("examples/data/evaluation_images.npy", count); }

void ExpectSameOutputs(const Model& before, const Model& after, const TensorMap& inputs) {
  auto a = Session::Create(before)->Run(inputs);
  auto b = Session::Create(after)->Run(inputs);
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_TRUE(b.ok()) << b.status().message();
  for (const auto& [name, expected] : *a) {
    const Tensor& got = b->at(name);
    ASSERT_EQ(got.shape(), expected.shape());
    float scale = 0;
    for (int64_t i = 0; i < expected.size(); ++i) scale = std::max(scale, std::abs(expected.data<float>()[i]));
    for (int64_t i = 0; i < expected.size(); ++i)
      ASSERT_NEAR(got.data<float>()[i], expected.data<float>()[i], 1e-5 * scale) << name << " element " << i;
  }
}

int CountOps(const Model& model, const std::string& op) {
  int n = 0;
  for (const Node& node : model.graph.nodes) n += node.op_type == op;
  return n;
}

class PreparedModels : public ::testing::TestWithParam<std::string> {};

TEST_P(PreparedModels, KeepOutputsAndLeaveNoBatchNormIdentityOrConstant) {
  auto before = LoadModelFile(testing::SourcePath(GetParam()));
  ASSERT_TRUE(before.ok());
  Model after = *before;
  auto reports = PrepareForQuantization(after);
  ASSERT_TRUE(reports.ok()) << reports.status().message();
  EXPECT_EQ(CountOps(after, "BatchNormalization"), 0);
  EXPECT_EQ(CountOps(after, "Identity"), 0);
  EXPECT_EQ(CountOps(after, "Constant"), 0);
  ExpectSameOutputs(*before, after, {{"input", EvaluationBatch(50)}});
}

INSTANTIATE_TEST_SUITE_P(Models, PreparedModels,
                         ::testing::Values("examples/models/cnn.onnx", "examples/models/transformer.onnx",
                                           "tests/models/cnn_bn.onnx", "tests/models/transformer_block.onnx"));

TEST(Passes, FoldBatchNormReportsTheNodes) {
  auto model = LoadModelFile(testing::SourcePath("examples/models/cnn.onnx"));
  ASSERT_TRUE(model.ok());
  auto report = FoldBatchNormalization(*model);
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->changes.size(), 4u);
  EXPECT_NE(report->changes[0].find("(BatchNormalization) folded into node"), std::string::npos) << report->changes[0];
  EXPECT_NE(report->changes[0].find("(Conv)"), std::string::npos) << report->changes[0];
}

// A Gemm (or ConvTranspose) followed by BatchNormalization, with random parameters.
Model GemmOrConvTransposeWithBatchNorm(const std::string& op, bool trans_b) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f), positive(0.5f, 2.0f);
  auto values = [&](int n, bool pos = false) {
    std::vector<float> v(n);
    for (float& x : v) x = pos ? positive(rng) : u(rng);
    return v;
  };
  testing::ModelBuilder b;
  const bool gemm = op == "Gemm";
  b.Input("x", gemm ? std::vector<int64_t>{3, 5} : std::vector<int64_t>{2, 3, 4, 4}).Output("y");
  if (gemm) b.Initializer("w", trans_b ? std::vector<int64_t>{4, 5} : std::vector<int64_t>{5, 4}, values(20));
  else b.Initializer("w", {3, 4, 3, 3}, values(108));
  b.Initializer("bias", {4}, values(4));
  b.Initializer("scale", {4}, values(4)).Initializer("shift", {4}, values(4));
  b.Initializer("mean", {4}, values(4)).Initializer("var", {4}, values(4, true));
  auto* node = b.Node(op, {"x", "w", "bias"}, {"h"});
  if (gemm && trans_b) {
    auto* a = node->add_attribute();
    a->set_name("transB");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(1);
  }
  b.Node("BatchNormalization", {"h", "scale", "shift", "mean", "var"}, {"y"});
  std::string bytes = b.Bytes();
  return LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).value();
}

TEST(Passes, FoldBatchNormIntoGemmAndConvTranspose) {
  for (auto [op, trans_b] : {std::pair<std::string, bool>{"Gemm", false}, {"Gemm", true}, {"ConvTranspose", false}}) {
    Model before = GemmOrConvTransposeWithBatchNorm(op, trans_b);
    Model after = before;
    auto report = FoldBatchNormalization(after);
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(report->changes.size(), 1u) << op;
    EXPECT_EQ(CountOps(after, "BatchNormalization"), 0) << op;
    Tensor x(DataType::kFloat, op == "Gemm" ? Shape{3, 5} : Shape{2, 3, 4, 4});
    for (int64_t i = 0; i < x.size(); ++i) x.data<float>()[i] = std::sin(static_cast<float>(i));
    ExpectSameOutputs(before, after, {{"x", x}});
  }
}

// PyTorch names Dropout's mask and passes training_mode=false, or true with p = 0: the node is
// still the identity, and the quantizer must not see it as an op of its own (onnxruntime eliminates
// it, and a separate Q/DQ after it changes what its QDQ fusions compute).
TEST(Passes, InferenceDropoutWithAnUnreadMaskIsRemoved) {
  struct Case {
    bool mask_read, training;
    float ratio;
    bool removed;
  };
  for (const Case& c : {Case{false, false, 0.1f, true}, Case{true, false, 0.1f, false}, Case{false, true, 0.0f, true},
                        Case{false, true, 0.1f, false}}) {
    testing::ModelBuilder b(13);
    b.Input("x", {2, 3}).Output("y");
    if (c.mask_read) b.Output("mask", {}, onnx::TensorProto::BOOL);
    b.Initializer("ratio", {}, {c.ratio});
    auto* training = b.graph()->add_initializer();
    training->set_name("training");
    training->set_data_type(onnx::TensorProto::BOOL);
    training->add_int32_data(c.training);
    b.Node("Dropout", {"x", "ratio", "training"}, {"d", "mask"});
    b.Node("Relu", {"d"}, {"y"});
    const std::string bytes = b.Bytes();
    Model model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).value();
    auto report = RemoveIdentities(model);
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(CountOps(model, "Dropout"), c.removed ? 0 : 1) << "mask read " << c.mask_read << ", training " << c.training
                                                                 << ", ratio " << c.ratio;
  }
}

TEST(Passes, MatMulWithRowBiasBecomesGemmOnlyFor2dInputs) {
  auto model_with_input = [](std::vector<int64_t> dims) {
    testing::ModelBuilder b;
    b.Input("x", dims).Output("y");
    std::vector<float> w(12), bias(3);
    for (int i = 0; i < 12; ++i) w[i] = static_cast<float>(i % 5) - 2.0f;
    for (int i = 0; i < 3; ++i) bias[i] = 0.25f * static_cast<float>(i);
    b.Initializer("w", {4, 3}, w).Initializer("b", {3}, bias);
    b.Node("MatMul", {"x", "w"}, {"m"}, "fc");
    b.Node("Add", {"b", "m"}, {"y"}, "bias");
    std::string bytes = b.Bytes();
    return LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).value();
  };
  Model flat = model_with_input({-1, 4});
  Model fused = flat;
  auto report = FuseMatMulAddIntoGemm(fused);
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->changes, (std::vector<std::string>{"node 'fc' (MatMul) and node 'bias' (Add) fused into Gemm"}));
  ASSERT_EQ(fused.graph.nodes.size(), 1u);
  EXPECT_EQ(fused.graph.nodes[0].op_type, "Gemm");
  Tensor x(DataType::kFloat, {5, 4});
  for (int64_t i = 0; i < x.size(); ++i) x.data<float>()[i] = static_cast<float>(i % 7) * 0.3f - 1.0f;
  ExpectSameOutputs(flat, fused, {{"x", x}});

  Model sequence = model_with_input({-1, 2, 4});  // Gemm takes 2-D inputs only
  EXPECT_TRUE(FuseMatMulAddIntoGemm(sequence)->changes.empty());
}

}  // namespace
}  // namespace qplay
