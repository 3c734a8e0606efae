// The per-op profile: every node timed, MACs of the matrix ops from their shapes, totals per
// op type that add up, and the int8 model's parameters about a quarter of the float model's.
#include <gtest/gtest.h>

#include "onnx/model.h"
#include "analysis/profile.h"
#include "quant/static_quantizer.h"
#include "test_data.h"
#include "test_paths.h"

namespace qplay {
namespace {

TEST(Profile, CnnFloatAndInt8) {
  const Model model = LoadModelFile(testing::SourcePath("examples/models/cnn.onnx")).value();
  const TensorMap x = {{"input", testing::LoadSourceNpy("examples/data/evaluation_images.npy", 8)}};
  auto float_profile = ProfileModel(model, x, 3);
  ASSERT_TRUE(float_profile.ok()) << float_profile.status().message();
  // Each node as the optimized session runs it: the first convolution with its Relu fused in,
  // over 8 images, 28x28 outputs per channel, each a 3x3 window of one channel.
  EXPECT_EQ(float_profile->nodes.size(), Session::Create(model, {.optimize = true})->model().graph.nodes.size());
  const NodeProfile& stem = float_profile->nodes[0];
  ASSERT_EQ(stem.op_type, "com.microsoft.FusedConv");
  const Tensor& w = model.graph.initializers.at(model.graph.nodes[0].inputs[1]);
  EXPECT_EQ(stem.macs, 8 * w.dim(0) * 28 * 28 * (w.size() / w.dim(0)));
  double total = 0;
  int64_t macs = 0;
  for (const auto& [op, p] : float_profile->op_types) total += p.ms, macs += p.macs;
  EXPECT_NEAR(total, float_profile->total_ms, 1e-9);
  // The residual block's last convolution feeds an Add, so it stays a Conv.
  const int64_t conv_macs = float_profile->op_types.at("com.microsoft.FusedConv").macs + float_profile->op_types.at("Conv").macs;
  EXPECT_EQ(macs, conv_macs + float_profile->op_types.at("Gemm").macs);

  QuantizationConfig config;
  config.per_channel = true;
  config.calibration_limit = 20;
  auto quantized = QuantizeStatic(model, config, {{"input", testing::LoadSourceNpy("examples/data/calibration_images.npy", 20)}});
  ASSERT_TRUE(quantized.ok());
  auto int8_profile = ProfileModel(quantized->model, x, 3);
  ASSERT_TRUE(int8_profile.ok()) << int8_profile.status().message();
  EXPECT_EQ(int8_profile->op_types.at("QLinearConv").macs, conv_macs);
  EXPECT_LT(int8_profile->parameter_bytes, float_profile->parameter_bytes / 3);
}

}  // namespace
}  // namespace qplay
