// Every tensor allocation goes through the budget (core/tensor.h): a kernel whose output would
// pass it fails with the node named, constant folding leaves such a node for the runtime to
// report, and the session stays usable for inputs that fit.
#include <gtest/gtest.h>

#include "model_builder.h"
#include "onnx/model.h"
#include "passes/passes.h"
#include "runtime/session.h"

namespace qplay {
namespace {

// Restores the budget a test lowers.
class TensorBudget : public ::testing::Test {
 protected:
  void SetUp() override { SetMaxTensorBytes(uint64_t{1} << 20); }
  void TearDown() override { SetMaxTensorBytes(kDefaultMaxTensorBytes); }
};

Result<Model> Load(const testing::ModelBuilder& b) {
  const std::string bytes = b.Bytes();
  return LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "budget.onnx");
}

TEST_F(TensorBudget, AKernelOutputPastTheBudgetFailsWithTheNodeNamed) {
  testing::ModelBuilder b(13);
  b.Input("a", {-1, 8}).Input("b", {8, -1}).Output("y");
  b.Node("MatMul", {"a", "b"}, {"y"}, "mm");
  auto model = Load(b);
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto session = Session::Create(*model);
  ASSERT_TRUE(session.ok()) << session.status().message();
  auto big = session->Run({{"a", Tensor(DataType::kFloat, {1024, 8})}, {"b", Tensor(DataType::kFloat, {8, 1024})}});
  EXPECT_EQ(big.status().message(),
            "node 'mm' (MatMul): a tensor would produce 4.19e+06 bytes (float32 [1024, 1024]); the limit is 1 MiB");
  auto small = session->Run({{"a", Tensor(DataType::kFloat, {4, 8})}, {"b", Tensor(DataType::kFloat, {8, 4})}});
  ASSERT_TRUE(small.ok()) << small.status().message();
  EXPECT_EQ(small->at("y").shape(), (Shape{4, 4}));
}

TEST_F(TensorBudget, ConstantFoldingLeavesANodePastTheBudgetForTheRuntimeToReport) {
  testing::ModelBuilder b(13);
  b.Initializer("a", {512, 1}, std::vector<float>(512, 1.0f)).Initializer("b", {1, 1024}, std::vector<float>(1024, 2.0f));
  b.Output("y");
  b.Node("MatMul", {"a", "b"}, {"y"}, "outer");
  auto model = Load(b);
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto folded = FoldConstants(*model);
  ASSERT_TRUE(folded.ok()) << folded.status().message();
  ASSERT_EQ(model->graph.nodes.size(), 1u);
  auto session = Session::Create(*model);
  ASSERT_TRUE(session.ok()) << session.status().message();
  EXPECT_EQ(session->Run({}).status().message(),
            "node 'outer' (MatMul): a tensor would produce 2.1e+06 bytes (float32 [512, 1024]); the limit is 1 MiB");
}

TEST_F(TensorBudget, AllocateReturnsTheErrorAndTheConstructorThrowsIt) {
  auto refused = Tensor::Allocate(DataType::kFloat, {1024, 1024}, "the calibration batch");
  EXPECT_EQ(refused.status().message(),
            "the calibration batch would produce 4.19e+06 bytes (float32 [1024, 1024]); the limit is 1 MiB");
  EXPECT_THROW(Tensor(DataType::kFloat, {1024, 1024}), AllocationRefused);
  EXPECT_THROW(Tensor(DataType::kFloat, {-1, 4}), AllocationRefused);
  EXPECT_EQ(Tensor(DataType::kFloat, {256, 1024}).size(), 256 * 1024);
}

}  // namespace
}  // namespace qplay
