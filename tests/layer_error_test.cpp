// The per-layer analysis: every quantized activation and weight of a QDQ model compared with
// the float model's, in one pass, ranked worst first; per-channel weights beat per-tensor ones.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "onnx/model.h"
#include "analysis/layer_error.h"
#include "quant/static_quantizer.h"
#include "test_data.h"
#include "test_paths.h"

namespace qplay {
namespace {

class LayerErrorCnn : public ::testing::Test {
 protected:
  void SetUp() override { model_ = LoadModelFile(testing::SourcePath("examples/models/cnn.onnx")).value(); }
  Model Quantized(bool per_channel) {
    QuantizationConfig config;
    config.per_channel = per_channel;
    config.calibration_limit = 50;
    return QuantizeStatic(model_, config, {{"input", testing::LoadSourceNpy("examples/data/calibration_images.npy", 50)}}).value().model;
  }
  SampleSet Data() { return {{"input", testing::LoadSourceNpy("examples/data/evaluation_images.npy", 120)}}; }
  Model model_;
};

double SqnrOf(const std::vector<TensorError>& list, const std::string& tensor) {
  for (const auto& e : list)
    if (e.tensor == tensor) return e.error.sqnr_db;
  ADD_FAILURE() << tensor << " is not in the report";
  return 0;
}

TEST_F(LayerErrorCnn, EveryQuantizedTensorRankedWorstFirst) {
  const Model quantized = Quantized(true);
  int quantize_nodes = 0;
  for (const Node& n : quantized.graph.nodes) quantize_nodes += n.op_type == "QuantizeLinear";
  auto report = AnalyzeLayerError(model_, quantized, Data(), 50);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->samples, 120);
  EXPECT_EQ(static_cast<int>(report->activations.size()), quantize_nodes);
  EXPECT_EQ(report->weights.size(), 10u);  // 5 weights and 5 int32 biases
  for (const auto* list : {&report->activations, &report->weights}) {
    for (size_t i = 1; i < list->size(); ++i) EXPECT_LE((*list)[i - 1].error.sqnr_db, (*list)[i].error.sqnr_db);
    for (const auto& e : *list) {
      EXPECT_GT(e.error.sqnr_db, 15.0) << e.tensor;
      EXPECT_GT(e.error.cosine, 0.99) << e.tensor;
      EXPECT_FALSE(e.node.empty()) << e.tensor;
    }
  }
  EXPECT_GT(SqnrOf(report->weights, "depthwise.0.weight"), 40.0);
  for (const auto& w : report->weights) {
    const Distribution& d = w.distribution;
    int64_t float_total = 0, dequantized_total = 0;
    for (size_t b = 0; b < d.float_counts.size(); ++b) float_total += d.float_counts[b], dequantized_total += d.dequantized_counts[b];
    EXPECT_EQ(float_total, dequantized_total) << w.tensor;
    EXPECT_LE(d.lo, d.hi);
    EXPECT_EQ(d.clipped_fraction, 0.0) << w.tensor << ": MinMax weight ranges clip nothing";
    if (w.tensor == "stem.0.weight") EXPECT_EQ(d.channel_ranges.size(), 32u);
  }
}

TEST_F(LayerErrorCnn, PerChannelWeightsHaveLessErrorThanPerTensor) {
  auto per_tensor = AnalyzeLayerError(model_, Quantized(false), Data());
  auto per_channel = AnalyzeLayerError(model_, Quantized(true), Data());
  ASSERT_TRUE(per_tensor.ok() && per_channel.ok());
  for (const std::string w : {"stem.0.weight", "conv2.0.weight", "depthwise.0.weight", "pointwise.0.weight"})
    EXPECT_GT(SqnrOf(per_channel->weights, w), SqnrOf(per_tensor->weights, w)) << w;
}

TEST_F(LayerErrorCnn, AWeightRangeNarrowerThanItsValuesClips) {
  QuantizationConfig config;
  config.calibration_limit = 20;
  config.tensor_overrides["fc.weight"].rmin = -0.05f;
  config.tensor_overrides["fc.weight"].rmax = 0.05f;
  auto quantized = QuantizeStatic(model_, config, {{"input", testing::LoadSourceNpy("examples/data/calibration_images.npy", 20)}});
  ASSERT_TRUE(quantized.ok()) << quantized.status().message();
  auto report = AnalyzeLayerError(model_, quantized->model, Data());
  ASSERT_TRUE(report.ok());
  for (const auto& w : report->weights)
    if (w.tensor == "fc.weight") EXPECT_GT(w.distribution.clipped_fraction, 0.1);
    else if (w.tensor.find("weight") != std::string::npos) EXPECT_EQ(w.distribution.clipped_fraction, 0.0) << w.tensor;
}

TEST_F(LayerErrorCnn, ActivationHistogramsCoverTheClipRangeAndCountEveryValue) {
  QuantizationConfig config;
  config.calibrate_method = CalibrationMethod::kPercentile;
  config.percentile = 99.0;
  config.calibration_limit = 50;
  auto quantized = QuantizeStatic(model_, config, {{"input", testing::LoadSourceNpy("examples/data/calibration_images.npy", 50)}});
  ASSERT_TRUE(quantized.ok()) << quantized.status().message();
  auto report = AnalyzeLayerError(model_, quantized->model, Data());
  ASSERT_TRUE(report.ok()) << report.status().message();
  double most_clipped = 0;
  for (const auto& a : report->activations) {
    const Distribution& d = a.distribution;
    ASSERT_TRUE(d.clip_range.has_value()) << a.tensor;
    EXPECT_LT(d.lo, d.clip_range->first);
    EXPECT_GT(d.hi, d.clip_range->second);
    int64_t float_total = 0, dequantized_total = 0;
    for (size_t b = 0; b < d.float_counts.size(); ++b) float_total += d.float_counts[b], dequantized_total += d.dequantized_counts[b];
    EXPECT_EQ(float_total, dequantized_total) << a.tensor;
    EXPECT_EQ(float_total % 120, 0) << a.tensor << ": every sample's values";
    EXPECT_EQ(d.dequantized_counts.front() + d.dequantized_counts.back(), 0) << a.tensor << ": dequantized values lie in the clip range";
    most_clipped = std::max(most_clipped, d.clipped_fraction);
  }
  EXPECT_GT(most_clipped, 0.001) << "the 99th percentile clips some activation values";
}

TEST_F(LayerErrorCnn, AFloatModelIsNothingToAnalyze) {
  auto report = AnalyzeLayerError(model_, model_, Data());
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().message(),
            "the compared model has no QuantizeLinear/DequantizeLinear pairs or dequantized weights to compare (analyze a QDQ model)");
}

}  // namespace
}  // namespace qplay
