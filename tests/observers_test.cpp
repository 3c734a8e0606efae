// Streaming observers: results of each calibration method on known data, and state that
// does not grow with the number of batches.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "quant/observers.h"
#include "quant/qparams.h"

namespace qplay {
namespace {

ObserverOptions Options(CalibrationMethod method, bool symmetric = false) {
  ObserverOptions o;
  o.method = method;
  o.symmetric = symmetric;
  return o;
}

// 20 batches of 5000 N(0, 1) values, plus a handful of outliers at +-50 in one batch.
std::vector<std::vector<float>> GaussianWithOutliers() {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<std::vector<float>> batches(20, std::vector<float>(5000));
  for (auto& b : batches)
    for (float& v : b) v = normal(rng);
  batches[3][0] = 50.0f;
  batches[3][1] = -48.0f;
  return batches;
}

FloatRange Observe(const ObserverOptions& options, const std::vector<std::vector<float>>& batches) {
  auto observer = MakeObserver(options);
  for (const auto& b : batches) observer->Observe(b.data(), static_cast<int64_t>(b.size()));
  return observer->Range();
}

TEST(Observers, MinMaxOverBatches) {
  std::vector<std::vector<float>> batches{{1, 2, 3}, {-4, 0.5f}, {7}};
  FloatRange r = Observe(Options(CalibrationMethod::kMinMax), batches);
  EXPECT_EQ(r.min, -4.0f);
  EXPECT_EQ(r.max, 7.0f);
  FloatRange s = Observe(Options(CalibrationMethod::kMinMax, true), batches);
  EXPECT_EQ(s.min, -7.0f);
  EXPECT_EQ(s.max, 7.0f);
}

TEST(Observers, MovingAverageUsesConstant001AfterTheFirstBatch) {
  FloatRange r = Observe(Options(CalibrationMethod::kMovingAverage), {{0, 10}, {-10, 20}});
  EXPECT_FLOAT_EQ(r.min, -0.1f);
  EXPECT_FLOAT_EQ(r.max, 10.1f);
}

TEST(Observers, PercentileCutsTheTails) {
  std::vector<float> uniform(10000);
  for (int i = 0; i < 10000; ++i) uniform[i] = static_cast<float>(i);
  ObserverOptions o = Options(CalibrationMethod::kPercentile);
  o.percentile = 99.0;
  // Two batches: the second widens the histogram range, so counts are redistributed.
  FloatRange r = Observe(o, {std::vector<float>(uniform.begin(), uniform.begin() + 5000),
                             std::vector<float>(uniform.begin() + 5000, uniform.end())});
  const float bin = 9999.0f / 2048;
  EXPECT_NEAR(r.min, 50.0f, 2 * bin);
  EXPECT_NEAR(r.max, 9950.0f, 2 * bin);

  std::vector<float> centered(10000);
  for (int i = 0; i < 10000; ++i) centered[i] = static_cast<float>(i - 5000);
  ObserverOptions sym = Options(CalibrationMethod::kPercentile, true);
  sym.percentile = 99.0;
  FloatRange s = Observe(sym, {centered});
  EXPECT_NEAR(s.max, 4950.0f, 2 * 5000.0f / 2048);
  EXPECT_EQ(s.min, -s.max);
}

TEST(Observers, PercentileOfGaussianWithOutliers) {
  // One outlier per side in 100000 values is 0.001%: the default 99.999 cuts 0.0005% per
  // side and keeps them, 99.99 cuts them.
  FloatRange kept = Observe(Options(CalibrationMethod::kPercentile), GaussianWithOutliers());
  EXPECT_GT(kept.max, 45.0f);
  ObserverOptions o = Options(CalibrationMethod::kPercentile);
  o.percentile = 99.99;
  FloatRange cut = Observe(o, GaussianWithOutliers());
  EXPECT_GT(cut.max, 3.0f);
  EXPECT_LT(cut.max, 5.0f);
  EXPECT_LT(cut.min, -3.0f);
  EXPECT_GT(cut.min, -5.0f);
}

TEST(Observers, EntropyIgnoresOutliersButNotTheBulk) {
  FloatRange r = Observe(Options(CalibrationMethod::kEntropy, true), GaussianWithOutliers());
  EXPECT_GT(r.max, 2.0f) << "the search is not degenerate: it keeps the body of the distribution";
  EXPECT_LT(r.max, 25.0f) << "outliers at 50 are clipped";
  EXPECT_EQ(r.min, -r.max);
}

TEST(Observers, EntropyKeepsEachSideOfAsymmetricData) {
  // Like a normalized image: 70% dark background at -0.8, the rest spread up to 2.
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> bright(0.0f, 2.0f);
  std::vector<float> pixels(50000);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = i % 10 < 7 ? -0.8f : bright(rng);
  FloatRange r = Observe(Options(CalibrationMethod::kEntropy), {pixels});
  EXPECT_NEAR(r.min, -0.8f, 0.01f);
  EXPECT_GT(r.max, 1.8f) << "the bright side must not be clipped to the background's magnitude";
}

TEST(Observers, EntropyOfNonNegativeDataStartsAtZero) {
  auto batches = GaussianWithOutliers();
  for (auto& b : batches)
    for (float& v : b) v = std::max(v, 0.0f);  // as after a Relu
  FloatRange r = Observe(Options(CalibrationMethod::kEntropy), batches);
  EXPECT_EQ(r.min, 0.0f);
  EXPECT_GT(r.max, 2.0f);
  EXPECT_LT(r.max, 25.0f);
}

// Mean squared error of quantizing `values` to `levels` levels over `range` (with 0 in range).
double QuantizationError(const std::vector<std::vector<float>>& batches, FloatRange range, int levels) {
  QParams q = ComputeQParams(range.min, range.max, QuantRange{0, levels - 1}, false);
  double error = 0;
  int64_t n = 0;
  for (const auto& b : batches)
    for (float v : b) {
      const float level = std::clamp(std::nearbyint(v / q.scale) + q.zero_point, 0.0f, static_cast<float>(levels - 1));
      error += std::pow((level - q.zero_point) * q.scale - v, 2), ++n;
    }
  return error / n;
}

TEST(Observers, MseFindsALowerErrorRangeThanMinMax) {
  // 4-bit levels: clipping a Gaussian's tails pays off, and the search must find that.
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<std::vector<float>> batches(10, std::vector<float>(10000));
  for (auto& b : batches)
    for (float& v : b) v = normal(rng);
  ObserverOptions o = Options(CalibrationMethod::kMse);
  o.quant_levels = 16;
  FloatRange mse = Observe(o, batches);
  FloatRange minmax = Observe(Options(CalibrationMethod::kMinMax), batches);
  EXPECT_LT(mse.max, minmax.max * 0.8f);
  EXPECT_LT(QuantizationError(batches, mse, 16), QuantizationError(batches, minmax, 16) * 0.7);

  std::vector<float> uniform(20000);
  for (int i = 0; i < 20000; ++i) uniform[i] = static_cast<float>(i % 1000) / 1000.0f;
  FloatRange u = Observe(Options(CalibrationMethod::kMse), {uniform});
  EXPECT_GT(u.max, 0.95f) << "clipping uniform data only adds error";
}

TEST(Observers, StateDoesNotGrowWithTheNumberOfBatches) {
  for (auto method : {CalibrationMethod::kMinMax, CalibrationMethod::kMovingAverage, CalibrationMethod::kPercentile,
                      CalibrationMethod::kEntropy, CalibrationMethod::kMse}) {
    auto observer = MakeObserver(Options(method));
    std::vector<float> batch(784, 0.5f);
    for (int i = 0; i < 10; ++i) observer->Observe(batch.data(), 784);
    const size_t after_10 = observer->StateBytes();
    for (int i = 0; i < 990; ++i) {
      batch[i % 784] = static_cast<float>(i);
      observer->Observe(batch.data(), 784);
    }
    EXPECT_EQ(observer->StateBytes(), after_10) << CalibrationMethodName(method);
  }
}

TEST(Observers, MethodNames) {
  EXPECT_EQ(ParseCalibrationMethod("entropy").value(), CalibrationMethod::kEntropy);
  auto bad = ParseCalibrationMethod("kl");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "unknown calibration method 'kl'; expected minmax, moving-average, percentile, entropy or mse");
}

}  // namespace
}  // namespace qplay
