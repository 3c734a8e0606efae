// Feeding data sets to models with several inputs, state inputs, fixed batches and arrays of
// other integer or float widths (runtime/sample_feeds.h), and the calibrator and evaluator on them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "analysis/evaluate.h"
#include "data/npy.h"
#include "data/sample_file.h"
#include "model_builder.h"
#include "onnx/model.h"
#include "quant/calibrator.h"
#include "runtime/sample_feeds.h"

namespace qplay {
namespace {

Model Load(const testing::ModelBuilder& b) {
  const std::string bytes = b.Bytes();
  return LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).value();
}

// A voice-activity-shaped model: y = (x + state) * float(sr), with x [batch, 4], state [2, 1, 4]
// and sr an int64 scalar.
Model StatefulModel() {
  testing::ModelBuilder b;
  b.Input("x", {-1, 4}).Input("state", {2, 1, 4}).Input("sr", {}, onnx::TensorProto::INT64).Output("y");
  b.Node("Add", {"x", "state"}, {"sum"});
  testing::SetInt(b.Node("Cast", {"sr"}, {"rate"}), "to", onnx::TensorProto::FLOAT);
  b.Node("Mul", {"sum", "rate"}, {"y"});
  return Load(b);
}

// A text-encoder-shaped model: y = float(ids + mask), both int64 [batch, batch].
Model TwoInputModel(std::vector<int64_t> dims = {-1, -1}) {
  testing::ModelBuilder b;
  b.Input("ids", dims, onnx::TensorProto::INT64).Input("mask", dims, onnx::TensorProto::INT64).Output("y");
  b.Node("Add", {"ids", "mask"}, {"sum"});
  testing::SetInt(b.Node("Cast", {"sum"}, {"y"}), "to", onnx::TensorProto::FLOAT);
  return Load(b);
}

Model SingleInputModel(std::vector<int64_t> dims) {
  testing::ModelBuilder b;
  b.Input("x", dims).Output("y");
  b.Node("Relu", {"x"}, {"y"});
  return Load(b);
}

Tensor Floats(Shape shape, float first = 0) {
  Tensor t(DataType::kFloat, std::move(shape));
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = first + static_cast<float>(i);
  return t;
}

std::string BindError(const Model& model, const SampleSet& arrays) {
  return SampleFeeds::Bind(model.graph, arrays, "calibration").status().message();
}

TensorMap RunOf(const SampleFeeds& feeds, int64_t start, int64_t count) {
  auto run = feeds.Run(start, count);
  EXPECT_TRUE(run.ok()) << run.status().message();
  return run.ok() ? *run : TensorMap{};
}

TEST(SampleFeeds, StateInputsAreConstantsAndEachRunTakesOneSample) {
  const Model model = StatefulModel();
  auto feeds = SampleFeeds::Bind(model.graph, {{"x", Floats({5, 4})}, {"state", Floats({2, 1, 4})}, {"sr", Tensor::Scalar<int64_t>(16000)}});
  ASSERT_TRUE(feeds.ok()) << feeds.status().message();
  EXPECT_EQ(feeds->samples(), 5);
  EXPECT_EQ(feeds->RunSize(50), 1);
  const TensorMap run = RunOf(*feeds, 2, 1);
  EXPECT_EQ(run.at("x").shape(), (Shape{1, 4}));
  EXPECT_EQ(run.at("x").data<float>()[0], 8.0f);
  EXPECT_EQ(run.at("state").shape(), (Shape{2, 1, 4}));
  EXPECT_EQ(run.at("sr").data<int64_t>()[0], 16000);
}

TEST(SampleFeeds, OneStatePerSampleIsFedWhole) {
  const Model model = StatefulModel();
  auto feeds = SampleFeeds::Bind(model.graph, {{"x", Floats({3, 4})}, {"state", Floats({3, 2, 1, 4})}, {"sr", Tensor::Scalar<int64_t>(8000)}});
  ASSERT_TRUE(feeds.ok()) << feeds.status().message();
  EXPECT_EQ(feeds->samples(), 3);
  const TensorMap run = RunOf(*feeds, 1, 1);
  EXPECT_EQ(run.at("state").shape(), (Shape{2, 1, 4}));
  EXPECT_EQ(run.at("state").data<float>()[0], 8.0f);
}

TEST(SampleFeeds, SeveralInputsGoInBatchesAndIntegerArraysTakeTheInputsType) {
  const Model model = TwoInputModel();
  Tensor ids = Tensor::FromVector<int32_t>({6, 3}, std::vector<int32_t>(18, 7));
  auto feeds = SampleFeeds::Bind(model.graph, {{"ids", ids}, {"mask", Tensor::FromVector<uint8_t>({6, 3}, std::vector<uint8_t>(18, 1))}});
  ASSERT_TRUE(feeds.ok()) << feeds.status().message();
  EXPECT_EQ(feeds->samples(), 6);
  EXPECT_EQ(feeds->RunSize(4), 4);
  const TensorMap run = RunOf(*feeds, 4, 2);
  EXPECT_EQ(run.at("ids").dtype(), DataType::kInt64);
  EXPECT_EQ(run.at("ids").shape(), (Shape{2, 3}));
  EXPECT_EQ(run.at("mask").data<int64_t>()[5], 1);
}

TEST(SampleFeeds, Float64ArraysAreRoundedToFloat32) {
  const Model model = SingleInputModel({-1, 2});
  auto feeds = SampleFeeds::Bind(model.graph, {{"", Tensor::FromVector<double>({1, 2}, {0.1, -2.5})}});
  ASSERT_TRUE(feeds.ok()) << feeds.status().message();
  EXPECT_EQ(RunOf(*feeds, 0, 1).at("x").data<float>()[0], 0.1f);
}

TEST(SampleFeeds, AFixedBatchSetsTheRunSize) {
  auto one = SampleFeeds::Bind(SingleInputModel({1, 3}).graph, {{"x", Floats({7, 3})}});
  ASSERT_TRUE(one.ok()) << one.status().message();
  EXPECT_EQ(one->samples(), 7);
  EXPECT_EQ(one->RunSize(100), 1);

  const Model four = SingleInputModel({4, 3});
  auto eight = SampleFeeds::Bind(four.graph, {{"x", Floats({8, 3})}});
  ASSERT_TRUE(eight.ok());
  EXPECT_EQ(eight->RunSize(1), 4);
  EXPECT_EQ(eight->Head(6).samples(), 4);  // whole batches only
  EXPECT_EQ(BindError(four, {{"x", Floats({6, 3})}}),
            "calibration: the model's batch is fixed at 4, and 6 samples do not fill whole batches (give a multiple of 4 samples, or "
            "arrays of [N, *input shape] for N whole inputs)");

  // An array shaped exactly like a fixed-batch input is that batch, not a constant.
  auto exact = SampleFeeds::Bind(four.graph, {{"x", Floats({4, 3})}});
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->samples(), 4);

  // Static inputs of different first dimensions (a sequence-first LSTM's x [10, 1, 8] and its
  // state [1, 1, 8]) given exactly are one run.
  testing::ModelBuilder b;
  b.Input("x", {10, 1, 8}).Input("h", {1, 1, 8}).Output("y");
  b.Node("Add", {"x", "h"}, {"y"});
  const Model sequence_first = Load(b);
  auto one_run = SampleFeeds::Bind(sequence_first.graph, {{"x", Floats({10, 1, 8})}, {"h", Floats({1, 1, 8})}});
  ASSERT_TRUE(one_run.ok()) << one_run.status().message();
  EXPECT_EQ(one_run->samples(), 1);
  EXPECT_EQ(RunOf(*one_run, 0, 1).at("x").shape(), (Shape{10, 1, 8}));
}

TEST(SampleFeeds, ErrorsNameTheInputAndWhatWasExpected) {
  const Model two = TwoInputModel();
  const Tensor ids = Tensor::FromVector<int64_t>({2, 3}, std::vector<int64_t>(6, 1));
  EXPECT_EQ(BindError(two, {{"", ids}}),
            "calibration: an unnamed array, but the model has 2 inputs ('ids', 'mask'): name each array by the input it feeds");
  EXPECT_EQ(BindError(two, {{"ids", ids}, {"attention_mask", ids}}),
            "calibration: array 'attention_mask' feeds no input of the model (its inputs: 'ids', 'mask')");
  EXPECT_EQ(BindError(two, {{"ids", ids}}), "calibration: no array for input 'mask' (the model's inputs: 'ids', 'mask')");
  EXPECT_EQ(BindError(two, {{"ids", ids}, {"mask", ids.SliceRows(0, 1)}}),
            "calibration: the inputs disagree on the number of samples (2 for 'ids', 1 for 'mask')");
  EXPECT_EQ(BindError(two, {{"ids", ids}, {"mask", Floats({2, 3})}}), "calibration: input 'mask' takes int64 but its array is float32");

  const Model int8_ids = [] {
    testing::ModelBuilder b;
    b.Input("ids", {-1, 2}, onnx::TensorProto::INT8).Output("y", {}, onnx::TensorProto::INT8);
    b.Node("Identity", {"ids"}, {"y"});
    return Load(b);
  }();
  // Values are converted a run at a time, so one that does not fit is found by the run that reads it.
  auto out_of_range = SampleFeeds::Bind(int8_ids.graph, {{"ids", Tensor::FromVector<int64_t>({2, 2}, {1, 2, 5, 300})}}, "calibration");
  ASSERT_TRUE(out_of_range.ok()) << out_of_range.status().message();
  EXPECT_TRUE(out_of_range->Run(0, 1).ok());
  EXPECT_EQ(out_of_range->Run(1, 1).status().message(), "calibration: input 'ids' takes int8 but its int64 array holds 300 at element 3");

  const Model single = SingleInputModel({-1, 4});
  EXPECT_EQ(BindError(single, {{"x", Floats({4})}}), "calibration: input 'x' is float32 [batch, 4] but its array is [4]: samples go along a first axis");
  EXPECT_EQ(BindError(single, {{"x", Floats({2, 5})}}), "calibration: input 'x' is float32 [batch, 4] but its array is [2, 5]");
  EXPECT_EQ(BindError(single, {{"x", Floats({0, 4})}}), "calibration: the set is empty");
}

TEST(SampleFeeds, CalibrationAndEvaluationFeedEveryInput) {
  const Model model = StatefulModel();
  const SampleSet data = {{"x", Floats({3, 4}, -6)}, {"state", Floats({2, 1, 4})}, {"sr", Tensor::Scalar<int64_t>(2)}};
  CalibrationOptions options;
  options.observer.method = CalibrationMethod::kMinMax;
  options.batch_size = 10;
  auto ranges = Calibrate(model, {"y"}, data, options);
  ASSERT_TRUE(ranges.ok()) << ranges.status().message();
  // x ranges over -6..5, state over 0..7: y = 2 (x + state) over -12..24.
  EXPECT_EQ(ranges->at("y").min, -12.0f);
  EXPECT_EQ(ranges->at("y").max, 24.0f);

  auto report = Evaluate(model, &model, data, nullptr);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->samples, 3);
  EXPECT_EQ(report->outputs.at("y").max_abs, 0.0);
}

// A file read a run at a time (the CLI's --calib FILE) feeds what the array in memory feeds.
TEST(SampleFeeds, AnArrayReadFromAFileFeedsWhatItsTensorFeeds) {
  const Model model = TwoInputModel();
  const Tensor ids = Tensor::FromVector<int32_t>({5, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 300});
  const std::string path = (std::filesystem::path(::testing::TempDir()) / "sample_feeds_ids.npy").string();
  {
    std::ofstream out(path, std::ios::binary);
    auto bytes = EncodeNpy(ids);
    out.write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
  }
  auto file = OpenSampleFile(FileBytes(path).value());
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_FALSE(file->arrays.at("").in_memory());
  const Tensor mask = Tensor::FromVector<int64_t>({5, 3}, std::vector<int64_t>(15, 1));
  auto streamed = SampleFeeds::Bind(model.graph, {{"ids", file->arrays.at("")}, {"mask", mask}});
  auto in_memory = SampleFeeds::Bind(model.graph, {{"ids", ids}, {"mask", mask}});
  ASSERT_TRUE(streamed.ok() && in_memory.ok());
  for (int64_t start : {3, 0, 2}) {
    const TensorMap a = RunOf(*streamed, start, 2), b = RunOf(*in_memory, start, 2);
    EXPECT_EQ(a.at("ids").ToInt64Vector(), b.at("ids").ToInt64Vector()) << start;
    EXPECT_EQ(a.at("ids").dtype(), DataType::kInt64);
  }
  EXPECT_EQ(streamed->Head(2).arrays().at("ids").shape(), (Shape{2, 3}));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace qplay
