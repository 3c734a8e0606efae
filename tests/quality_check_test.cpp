// The quality check after quantizing (analysis/quality_check.h): it warns where the loss starts,
// not downstream of it; names clipping and pinned int32 biases; and skips negligible biases.
#include <gtest/gtest.h>

#include "analysis/quality_check.h"
#include "gemm_model.h"
#include "onnx/model.h"

namespace qplay {
namespace {

Tensor Ramp(float scale) {
  Tensor x(DataType::kFloat, {64, 4});
  for (int64_t i = 0; i < x.size(); ++i) x.data<float>()[i] = static_cast<float>(i % 101 - 50) * scale;
  return x;
}

std::vector<QuantizationNote> Check(const QuantizationConfig& config, const Tensor& x, QualityOptions options = {}) {
  const Model model = testing::GemmModel();
  auto result = QuantizeStatic(model, config, {{"x", x}});
  EXPECT_TRUE(result.ok()) << result.status().message();
  return CheckQuantizationQuality(model, *result, {{"x", x}}, options);
}

std::vector<std::string> Tensors(const std::vector<QuantizationNote>& notes) {
  std::vector<std::string> names;
  for (const auto& n : notes) {
    EXPECT_EQ(n.kind, QuantizationNote::Kind::kWarning);
    names.push_back(n.tensor);
  }
  return names;
}

TEST(QualityCheck, AnOrdinaryQuantizationHasNoWarnings) {
  EXPECT_TRUE(Check(QuantizationConfig{}, Ramp(0.02f)).empty());
}

TEST(QualityCheck, WarnsWhereTheLossStartsAndNotDownstream) {
  QualityOptions strict;
  strict.min_sqnr_db = 80;  // above what 8 bits give anywhere
  const auto notes = Check(QuantizationConfig{}, Ramp(0.02f), strict);
  // x loses signal first; y inherits it, and the bias b is never judged by its own SQNR.
  EXPECT_EQ(Tensors(notes), (std::vector<std::string>{"x", "w"}));
  EXPECT_NE(notes[0].message.find("below 80 dB, where its inputs are above it"), std::string::npos) << notes[0].message;
  EXPECT_NE(notes[1].message.find("weight SQNR"), std::string::npos) << notes[1].message;
}

TEST(QualityCheck, NamesClippedOutliers) {
  QuantizationConfig config;
  config.calibrate_method = CalibrationMethod::kPercentile;
  config.percentile = 90;
  const auto notes = Check(config, Ramp(0.02f));
  ASSERT_FALSE(notes.empty());
  EXPECT_EQ(notes[0].tensor, "x");
  EXPECT_NE(notes[0].message.find("% of its values fall outside its quantized range"), std::string::npos) << notes[0].message;
}

TEST(QualityCheck, NamesABiasPinnedAtTheInt32Limit) {
  QuantizationConfig config;
  TensorOverride fixed;
  fixed.scale = 1e-3f;
  fixed.zero_point = 0;
  config.tensor_overrides["w"] = fixed;  // a fixed weight scale is never widened for the bias
  const auto notes = Check(config, Ramp(1e-12f));
  ASSERT_FALSE(notes.empty());
  EXPECT_EQ(notes[0].tensor, "b");
  EXPECT_EQ(notes[0].node, "fc");
  EXPECT_NE(notes[0].message.find("bias pinned at the int32 limit on 3 of 3 channels"), std::string::npos) << notes[0].message;
}

}  // namespace
}  // namespace qplay
