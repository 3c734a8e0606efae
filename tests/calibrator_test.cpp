// The calibrator: ranges of graph inputs and intermediates, batch independence, and the
// errors a user sees for bad calibration data.
#include <gtest/gtest.h>

#include <cmath>

#include "onnx/model.h"
#include "model_builder.h"
#include "quant/calibrator.h"

namespace qplay {
namespace {

// y = Relu(x) * 2 over x of shape [batch, 3]
Model SmallModel() {
  testing::ModelBuilder b;
  b.Input("x", {-1, 3}).Output("y");
  b.Initializer("two", {}, {2.0f});
  b.Node("Relu", {"x"}, {"r"});
  b.Node("Mul", {"r", "two"}, {"y"});
  std::string bytes = b.Bytes();
  return LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).value();
}

Tensor Samples(std::vector<float> values) {
  return Tensor::FromVector<float>({static_cast<int64_t>(values.size() / 3), 3}, values);
}

CalibrationOptions MinMax(int64_t batch = 1) {
  CalibrationOptions o;
  o.observer.method = CalibrationMethod::kMinMax;
  o.batch_size = batch;
  return o;
}

TEST(Calibrator, RangesOfInputsAndIntermediates) {
  Model model = SmallModel();
  const SampleSet samples{{"x", Samples({-1, 2, 3, 4, -5, 0.5f})}};
  for (int64_t batch : {1, 2}) {
    int64_t calls = 0;
    auto ranges = Calibrate(model, {"x", "r", "y"}, samples, MinMax(batch), [&](int64_t done, int64_t total) {
      EXPECT_EQ(total, 2);
      EXPECT_LE(done, total);
      ++calls;
      return true;
    });
    ASSERT_TRUE(ranges.ok()) << ranges.status().message();
    EXPECT_EQ(ranges->at("x").min, -5.0f);
    EXPECT_EQ(ranges->at("x").max, 4.0f);
    EXPECT_EQ(ranges->at("r").min, 0.0f);
    EXPECT_EQ(ranges->at("y").max, 8.0f);
    EXPECT_EQ(calls, batch == 1 ? 2 : 1);
  }
}

TEST(Calibrator, LimitUsesTheFirstSamples) {
  CalibrationOptions o = MinMax();
  o.limit = 1;
  auto ranges = Calibrate(SmallModel(), {"x"}, {{"x", Samples({-1, 2, 3, 4, -5, 0.5f})}}, o);
  ASSERT_TRUE(ranges.ok());
  EXPECT_EQ(ranges->at("x").min, -1.0f);
  EXPECT_EQ(ranges->at("x").max, 3.0f);
}

TEST(Calibrator, ErrorsNameTheProblem) {
  Model model = SmallModel();
  auto empty = Calibrate(model, {"y"}, {{"x", Tensor(DataType::kFloat, {0, 3})}}, MinMax());
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "calibration: the set is empty");

  auto missing = Calibrate(model, {"y"}, {}, MinMax());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "calibration: no array for input 'x' (the model's inputs: 'x')");

  auto nan = Calibrate(model, {"y"}, {{"x", Samples({1, 2, 3, 4, NAN, 6})}}, MinMax());
  ASSERT_FALSE(nan.ok());
  EXPECT_EQ(nan.status().message(), "calibration sample 1 of input 'x' contains NaN at element 1");

  auto inf = Calibrate(model, {"y"}, {{"x", Samples({1, 2, INFINITY})}}, MinMax());
  ASSERT_FALSE(inf.ok());
  EXPECT_EQ(inf.status().message(), "calibration sample 0 of input 'x' contains Inf at element 2");

  auto shape = Calibrate(model, {"y"}, {{"x", Tensor(DataType::kFloat, {2, 4})}}, MinMax());
  ASSERT_FALSE(shape.ok());
  EXPECT_EQ(shape.status().message(), "calibration: input 'x' is float32 [batch, 3] but its array is [2, 4]");
}

TEST(Calibrator, CanBeCancelled) {
  auto ranges = Calibrate(SmallModel(), {"y"}, {{"x", Samples({1, 2, 3, 4, 5, 6})}}, MinMax(),
                          [](int64_t done, int64_t) { return done < 1; });
  ASSERT_FALSE(ranges.ok());
  EXPECT_EQ(ranges.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(ranges.status().message(), "calibration cancelled");
}

}  // namespace
}  // namespace qplay
