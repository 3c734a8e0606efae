// Bias correction on the bundled CNN quantized per tensor: every quantized Conv and the Gemm
// get their biases corrected, and the quantized model agrees with float more often.
#include <gtest/gtest.h>

#include "onnx/model.h"
#include "analysis/evaluate.h"
#include "quant/static_quantizer.h"
#include "test_data.h"
#include "test_paths.h"

namespace qplay {
namespace {

TEST(BiasCorrection, PerTensorCnnAgreesWithFloatMoreOften) {
  const Model model = LoadModelFile(testing::SourcePath("examples/models/cnn.onnx")).value();
  const SampleSet calibration = {{"input", testing::LoadSourceNpy("examples/data/calibration_images.npy", 100)}};
  const Tensor data = testing::LoadSourceNpy("examples/data/evaluation_images.npy", 1000);
  QuantizationConfig config;  // per tensor
  auto plain = QuantizeStatic(model, config, calibration);
  config.bias_correction = true;
  auto corrected = QuantizeStatic(model, config, calibration);
  ASSERT_TRUE(plain.ok() && corrected.ok()) << corrected.status().message();
  const PassReport& report = corrected->passes.back();
  EXPECT_EQ(report.pass, "bias correction");
  EXPECT_EQ(report.changes.size(), 5u);  // 4 Conv + 1 Gemm
  auto before = Evaluate(model, &plain->model, {{"", data}}, nullptr);
  auto after = Evaluate(model, &corrected->model, {{"", data}}, nullptr);
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_GT(after->classes.agreement(), before->classes.agreement());
  EXPECT_GT(after->outputs.at("logits").sqnr_db, before->outputs.at("logits").sqnr_db);
}

}  // namespace
}  // namespace qplay
