// Range choices: every calibration method's range over one histogram per activation; MinMax
// spans the histogram and clips nothing, the 99th percentile clips a little of a ReLU output.
#include <gtest/gtest.h>

#include "onnx/model.h"
#include "analysis/range_choices.h"
#include "test_data.h"
#include "test_paths.h"

namespace qplay {
namespace {

TEST(RangeChoices, EveryMethodOverOneHistogram) {
  const Model model = LoadModelFile(testing::SourcePath("examples/models/cnn.onnx")).value();
  const SampleSet samples = {{"input", testing::LoadSourceNpy("examples/data/calibration_images.npy", 40)}};
  const std::vector<std::string> tensors = {"input", "/relu/Relu_output_0"};
  ObserverOptions options;
  options.percentile = 99.0;  // clips about 1% of the values, which whole bins can show
  auto choices = CompareRangeChoices(model, tensors, samples, options, 40, 64);
  ASSERT_TRUE(choices.ok()) << choices.status().message();
  ASSERT_EQ(choices->size(), 2u);
  for (const auto& a : *choices) {
    EXPECT_EQ(a.histogram.counts.size(), 64u);
    int64_t total = 0;
    for (int64_t c : a.histogram.counts) total += c;
    if (a.tensor == "input") EXPECT_EQ(total, 40 * 784);
    EXPECT_GT(total, 0) << a.tensor;
    EXPECT_EQ(a.by_method.size(), 5u);
    const RangeChoice& minmax = a.by_method.at("minmax");
    EXPECT_EQ(minmax.range.min, a.histogram.lo);
    EXPECT_EQ(minmax.range.max, a.histogram.hi);
    EXPECT_EQ(minmax.clipped_fraction, 0.0);
    for (const auto& [method, c] : a.by_method) EXPECT_LE(c.range.max, a.histogram.hi + 1e-6f) << method;
  }
  const ActivationRanges& relu = (*choices)[1];
  EXPECT_GE(relu.histogram.lo, 0.0f) << "ReLU output";
  EXPECT_GT(relu.by_method.at("percentile").clipped_fraction, 0.0);
  EXPECT_LT(relu.by_method.at("percentile").clipped_fraction, 0.05);
  EXPECT_NE(RangeChoicesToJson(*choices).find("\"entropy\""), std::string::npos);
  EXPECT_EQ(CompareRangeChoices(model, {"fc.weight"}, samples, options).status().message(),
            "no float activation 'fc.weight' in the model");
}

}  // namespace
}  // namespace qplay
