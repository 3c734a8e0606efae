// The analyzer's numbers worked out by hand on a one-MatMul model, and the whole report's shape.
//   x [N, 2] -> MatMul(W) -> y, W = [[1, 0.5], [-1, 0.25]].
// Calibrated on x = [[0, 1], [0.5, -1]]: x's range is [-1, 1], uint8 asymmetric, scale s = 2/255,
// zero point 128; 1 / s computes to just under 127.5 in float, so x dequantizes to
//   0 -> 0,  1 -> 127 s,  0.5 -> 64 s,  -1 -> -127 s; its clip range is [-128 s, 127 s].
// W per tensor, int8 symmetric: scale 1/127; 1 -> 127, 0.5 -> 64 (63.5), -1 -> -127, 0.25 -> 32 (31.75).
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "onnx/model.h"
#include "analysis/report.h"
#include "model_builder.h"
#include "quant/static_quantizer.h"

namespace qplay {
namespace {

Model OneMatMul() {
  testing::ModelBuilder b;
  b.Input("x", {-1, 2}).Output("y", {-1, 2});
  b.Initializer("W", {2, 2}, {1.0f, 0.5f, -1.0f, 0.25f});
  b.Node("MatMul", {"x", "W"}, {"y"}, "matmul");
  const std::string bytes = b.Bytes();
  return LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).value();
}

struct Expected {
  double sqnr_db, mse, cosine, max_abs;
};

// The metrics of `reference` against `dequantized`, from their definitions.
Expected ByHand(const std::vector<double>& reference, const std::vector<double>& dequantized) {
  double signal = 0, noise = 0, dot = 0, test_norm = 0, max_abs = 0;
  for (size_t i = 0; i < reference.size(); ++i) {
    const double e = reference[i] - dequantized[i];
    signal += reference[i] * reference[i], noise += e * e, dot += reference[i] * dequantized[i];
    test_norm += dequantized[i] * dequantized[i], max_abs = std::max(max_abs, std::abs(e));
  }
  return {10 * std::log10(signal / noise), noise / static_cast<double>(reference.size()), dot / std::sqrt(signal * test_norm), max_abs};
}

void ExpectMetrics(const ErrorMetrics& got, const Expected& want, const std::string& what) {
  EXPECT_NEAR(got.sqnr_db, want.sqnr_db, 1e-3) << what;
  EXPECT_NEAR(got.mse, want.mse, want.mse * 1e-3) << what;
  EXPECT_NEAR(got.cosine, want.cosine, 1e-9) << what;
  EXPECT_NEAR(got.max_abs, want.max_abs, 1e-6) << what;
}

class AnalyzerKnownAnswers : public ::testing::Test {
 protected:
  void SetUp() override {
    QuantizationConfig config;  // uint8 asymmetric activations, int8 symmetric per-tensor weights, MinMax
    quantized_ = QuantizeStatic(model_, config, {{"x", calibration_}}).value().model;
  }
  Model model_ = OneMatMul();
  Tensor calibration_ = Tensor::FromVector<float>({2, 2}, {0.0f, 1.0f, 0.5f, -1.0f});
  Model quantized_;
};

const TensorError& Find(const std::vector<TensorError>& list, const std::string& tensor) {
  for (const auto& e : list)
    if (e.tensor == tensor) return e;
  ADD_FAILURE() << tensor << " is not in the report";
  return list.front();
}

TEST_F(AnalyzerKnownAnswers, ActivationAndWeightErrors) {
  auto report = AnalyzeLayerError(model_, quantized_, {{"x", calibration_}});
  ASSERT_TRUE(report.ok()) << report.status().message();
  const double step = 2.0 / 255;
  ExpectMetrics(Find(report->activations, "x").error, ByHand({0, 1, 0.5, -1}, {0, 127 * step, 64 * step, -127 * step}), "x");
  const TensorError& w = Find(report->weights, "W");
  ExpectMetrics(w.error, ByHand({1, 0.5, -1, 0.25}, {1, 64.0 / 127, -1, 32.0 / 127}), "W");
  EXPECT_EQ(w.distribution.clipped_fraction, 0.0);
  // Per output row of W (axis 0): [1, 0.5] and [-1, 0.25].
  ASSERT_EQ(w.distribution.channel_ranges.size(), 2u);
  EXPECT_EQ(w.distribution.channel_ranges[0], std::make_pair(0.5f, 1.0f));
  EXPECT_EQ(w.distribution.channel_ranges[1], std::make_pair(-1.0f, 0.25f));
  EXPECT_NEAR(w.distribution.channel_sqnr_db[0], ByHand({1, 0.5}, {1, 64.0 / 127}).sqnr_db, 1e-3);
  EXPECT_NEAR(w.distribution.channel_sqnr_db[1], ByHand({-1, 0.25}, {-1, 32.0 / 127}).sqnr_db, 1e-3);
}

TEST_F(AnalyzerKnownAnswers, ValuesBeyondTheCalibratedRangeAreCountedAsClipped) {
  // Eight values, one (3) beyond x's clip range by more than half a step.
  const Tensor data = Tensor::FromVector<float>({4, 2}, {0.0f, 1.0f, 0.5f, -0.75f, 3.0f, 0.25f, -0.5f, 0.0f});
  auto report = AnalyzeLayerError(model_, quantized_, {{"x", data}});
  ASSERT_TRUE(report.ok()) << report.status().message();
  const Distribution& x = Find(report->activations, "x").distribution;
  EXPECT_DOUBLE_EQ(x.clipped_fraction, 1.0 / 8);
  ASSERT_TRUE(x.clip_range.has_value());
  EXPECT_FLOAT_EQ(x.clip_range->first, -128 * 2.0f / 255);
  EXPECT_FLOAT_EQ(x.clip_range->second, 127 * 2.0f / 255);
}

TEST_F(AnalyzerKnownAnswers, TheReportHoldsEveryPart) {
  const Tensor labels = Tensor::FromVector<int64_t>({2}, {1, 0});  // y = [[-1, 0.25], [1.5, 0]]: classes 1 and 0
  auto report = AnalyzeQuantization(model_, quantized_, {{"x", calibration_}}, &labels);
  ASSERT_TRUE(report.ok()) << report.status().message();
  const nlohmann::json j = nlohmann::json::parse(report->ToJson());
  EXPECT_EQ(j["format"], "qplay-analysis");
  EXPECT_EQ(j["version"], kAnalysisReportVersion);
  EXPECT_EQ(j["samples"], 2);
  EXPECT_EQ(j["evaluation"]["accuracy"], 1.0);
  // The activation x and the weight W (y, the graph output, stays float). Worst (lowest SQNR) first.
  ASSERT_EQ(j["layers"].size(), 2u);
  for (size_t i = 1; i < j["layers"].size(); ++i) EXPECT_LE(j["layers"][i - 1]["sqnr_db"], j["layers"][i]["sqnr_db"]);
  int weights = 0;
  for (const auto& layer : j["layers"]) weights += layer["kind"] == "weight";
  EXPECT_EQ(weights, 1);
  ASSERT_EQ(j["activation_ranges"].size(), 1u);  // x, with every method's choice
  for (const auto& a : j["activation_ranges"])
    for (const char* method : {"minmax", "moving-average", "percentile", "entropy", "mse"}) EXPECT_TRUE(a["methods"].contains(method)) << method;
  EXPECT_EQ(j["profile"]["float"]["nodes"][0]["macs"], 1 * 2 * 2);  // batch 1, [1, 2] x [2, 2]
  EXPECT_GT(j["size_bytes"]["float"], 0);
  EXPECT_GT(j["size_bytes"]["quantized"], 0);
}

}  // namespace
}  // namespace qplay
