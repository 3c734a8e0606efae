// Sensitivity and accuracy-driven fallback on the bundled CNN quantized per tensor (which
// loses accuracy): the ranking covers every quantized node, and falling back reaches the
// target by keeping the most sensitive nodes float.
#include <gtest/gtest.h>

#include "analysis/sensitivity.h"
#include "test_data.h"
#include "test_paths.h"

namespace qplay {
namespace {

class SensitivityCnn : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = LoadModelFile(testing::SourcePath("examples/models/cnn.onnx")).value();
    config_.calibration_limit = 50;
    calibration_ = {{"input", testing::LoadSourceNpy("examples/data/calibration_images.npy", 50)}};
  }
  Model model_;
  QuantizationConfig config_;  // per tensor
  SampleSet calibration_;
  Tensor data_ = testing::LoadSourceNpy("examples/data/evaluation_images.npy", 300);
  Tensor labels_ = testing::LoadSourceNpy("examples/data/evaluation_labels.npy", 300);
};

TEST_F(SensitivityCnn, RanksEveryQuantizedNodeAndFallsBackToTheTarget) {
  auto report = AnalyzeSensitivity(model_, config_, calibration_, data_);
  ASSERT_TRUE(report.ok()) << report.status().message();
  auto all = QuantizeStatic(model_, config_, calibration_);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(report->nodes.size(), all->quantized_nodes.size());
  for (size_t i = 1; i < report->nodes.size(); ++i) EXPECT_LE(report->nodes[i - 1].alone.sqnr_db, report->nodes[i].alone.sqnr_db);
  for (const auto& n : report->nodes) {
    EXPECT_FALSE(n.op_type.empty()) << n.node;
    EXPECT_GT(n.agreement_all_but, 0.9) << n.node;
  }
  EXPECT_LT(report->nodes.front().alone.sqnr_db, report->nodes.back().alone.sqnr_db);

  FallbackTarget target;
  target.max_accuracy_drop = 0.0;  // no loss at all on these 300 images
  auto fallback = FallBackToTarget(model_, config_, data_, &labels_, target, *report);
  ASSERT_TRUE(fallback.ok()) << fallback.status().message();
  EXPECT_TRUE(fallback->met);
  const auto& c = fallback->evaluation.classes;
  EXPECT_GE(c.test_accuracy(), c.reference_accuracy());
  for (size_t i = 0; i < fallback->float_nodes.size(); ++i) EXPECT_EQ(fallback->float_nodes[i], report->nodes[i].node);
  EXPECT_GT(fallback->parameter_bytes, 0);
}

}  // namespace
}  // namespace qplay
