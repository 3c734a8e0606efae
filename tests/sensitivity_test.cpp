// Sensitivity and accuracy-driven fallback on the bundled CNN quantized per tensor (which
// loses accuracy): the ranking covers every quantized node, and falling back reaches the
// target by keeping the most sensitive nodes float.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "onnx/model.h"
#include "analysis/sensitivity.h"
#include "model_builder.h"
#include "runtime/session.h"
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
  SampleSet data_ = {{"input", testing::LoadSourceNpy("examples/data/evaluation_images.npy", 300)}};
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
  for (size_t i = 0; i < fallback->kept_nodes.size(); ++i) EXPECT_EQ(fallback->kept_nodes[i], report->nodes[i].node);
  EXPECT_GT(fallback->float_model_bytes, fallback->quantized_model_bytes);
}

TEST_F(SensitivityCnn, ATargetIsNeededAndMustBeInRange) {
  const SensitivityReport empty;
  FallbackTarget none;
  EXPECT_EQ(FallBackToTarget(model_, config_, data_, &labels_, none, empty).status().message(),
            "a fallback needs a target: a maximum accuracy drop, a minimum agreement or a minimum SQNR");
  FallbackTarget too_much;
  too_much.max_accuracy_drop = 1.5;
  EXPECT_EQ(FallBackToTarget(model_, config_, data_, &labels_, too_much, empty).status().message(),
            "the maximum accuracy drop must be between 0 and 100 points, got 150");
  FallbackTarget above_all;  // in the CLI's and the page's unit, percent
  above_all.min_agreement = 1.5;
  EXPECT_EQ(FallBackToTarget(model_, config_, data_, &labels_, above_all, empty).status().message(),
            "the minimum agreement must be between 0% and 100%, got 150%");
}

// A three-layer perceptron on 16 random features, classifying into 10: input -> first ->
// Relu -> middle -> Relu -> last. Its labels are its own float predictions.
struct Perceptron {
  Model model;
  Tensor data, labels;
};

std::vector<float> RandomWeights(std::mt19937& rng, int64_t rows, int64_t cols) {
  std::normal_distribution<float> normal(0.0f, 0.3f);
  std::vector<float> w(static_cast<size_t>(rows * cols));
  for (float& v : w) v = normal(rng);
  return w;
}

// `edit` changes the three weight matrices (16x16, 16x16, 16x10) before the model is built.
template <typename Edit>
Perceptron MakePerceptron(Edit edit) {
  std::mt19937 rng(7);
  std::vector<float> first = RandomWeights(rng, 16, 16), middle = RandomWeights(rng, 16, 16), last = RandomWeights(rng, 16, 10);
  edit(first, middle, last);
  testing::ModelBuilder b;
  b.Input("x", {-1, 16}).Output("logits", {-1, 10});
  b.Initializer("w_first", {16, 16}, first).Initializer("w_middle", {16, 16}, middle).Initializer("w_last", {16, 10}, last);
  b.Node("MatMul", {"x", "w_first"}, {"first_out"}, "first");
  b.Node("Relu", {"first_out"}, {"h1"}, "relu1");
  b.Node("MatMul", {"h1", "w_middle"}, {"middle_out"}, "middle");
  b.Node("Relu", {"middle_out"}, {"h2"}, "relu2");
  b.Node("MatMul", {"h2", "w_last"}, {"logits"}, "last");
  const std::string bytes = b.Bytes();
  Perceptron p{LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).value(), {}, {}};
  std::normal_distribution<float> normal;
  std::vector<float> x(400 * 16);
  for (float& v : x) v = normal(rng);
  p.data = Tensor::FromVector<float>({400, 16}, x);
  const Tensor logits = Session::Create(p.model).value().Run({{"x", p.data}}).value().at("logits");
  std::vector<int64_t> labels;
  for (int64_t row = 0; row < 400; ++row) labels.push_back(ArgMaxRow(logits, row));
  p.labels = Tensor::FromVector<int64_t>({400}, labels);
  return p;
}

TEST(Fallback, KeepsTheDeliberatelyFragileLayerFloatAndOnlyIt) {
  // Feature 3 of the first layer is always 0 (its weights are 0, Relu keeps it 0), so the
  // middle layer's row 3 can hold 100 without changing the function; per tensor, that one
  // weight sets the middle layer's scale and rounds every other weight of it to 0 or one step.
  Perceptron p = MakePerceptron([](auto& first, auto& middle, auto&) {
    for (int64_t r = 0; r < 16; ++r) first[r * 16 + 3] = 0;
    for (int64_t c = 0; c < 16; ++c) middle[3 * 16 + c] = 100;
  });
  QuantizationConfig config;  // per-tensor weights
  const SampleSet calibration = {{"x", p.data.SliceRows(0, 100)}};
  auto report = AnalyzeSensitivity(p.model, config, calibration, {{"x", p.data}});
  ASSERT_TRUE(report.ok()) << report.status().message();
  ASSERT_EQ(report->nodes.size(), 3u);
  EXPECT_EQ(report->nodes[0].node, "middle");
  EXPECT_LT(report->nodes[0].alone.sqnr_db + 10, report->nodes[1].alone.sqnr_db);

  for (const bool with_labels : {true, false}) {
    FallbackTarget target;
    target.max_accuracy_drop = 0.05;  // with labels: accuracy; without: agreement with float
    auto fallback = FallBackToTarget(p.model, config, {{"x", p.data}}, with_labels ? &p.labels : nullptr, target, *report);
    ASSERT_TRUE(fallback.ok()) << fallback.status().message();
    EXPECT_TRUE(fallback->met);
    EXPECT_EQ(fallback->kept_nodes, std::vector<std::string>{"middle"});
    EXPECT_GE(fallback->evaluation.classes.agreement(), 0.95);
  }
  // Before the fallback, the model is far from that target.
  EXPECT_LT(report->agreement_all, 0.9);
}

TEST(Fallback, KeepsALayerWithAnOutlierOutputInInt16Activations) {
  // The middle layer's output channel 5 is 100 times larger than the others, and the last
  // layer ignores it (row 5 is 0): the function is unchanged, but per tensor in uint8 the
  // middle output's step is so coarse that its other channels round to almost nothing.
  Perceptron p = MakePerceptron([](auto&, auto& middle, auto& last) {
    for (int64_t r = 0; r < 16; ++r) middle[r * 16 + 5] = std::abs(middle[r * 16 + 5]) * 100;
    for (int64_t c = 0; c < 10; ++c) last[5 * 10 + c] = 0;
  });
  QuantizationConfig config;
  config.per_channel = true;  // the weights' own outlier column does not matter
  const SampleSet calibration = {{"x", p.data.SliceRows(0, 100)}};
  auto report = AnalyzeSensitivity(p.model, config, calibration, {{"x", p.data}});
  ASSERT_TRUE(report.ok()) << report.status().message();
  // h2 (the middle layer's output, Relu fused, and the last layer's input) is the fragile
  // tensor: the two nodes around it are the most sensitive, the first layer is not.
  EXPECT_EQ(report->nodes[2].node, "first");
  EXPECT_LT(report->nodes[1].alone.sqnr_db + 10, report->nodes[2].alone.sqnr_db);
  for (const auto& n : report->nodes)
    if (n.node == "middle") EXPECT_EQ(n.fused, std::vector<std::string>{"relu2"});

  EXPECT_LT(report->agreement_all, 0.9);
  FallbackTarget target;
  target.min_agreement = 0.95;
  target.keep_as = FallbackPrecision::kInt16;
  auto fallback = FallBackToTarget(p.model, config, {{"x", p.data}}, nullptr, target, *report);
  ASSERT_TRUE(fallback.ok()) << fallback.status().message();
  EXPECT_TRUE(fallback->met);
  ASSERT_EQ(fallback->kept_nodes.size(), 1u);
  EXPECT_NE(fallback->kept_nodes[0], "first");
  std::map<std::string, DataType> quantized_as;
  for (const Node& n : fallback->quantized.model.graph.nodes)
    if (n.op_type == "QuantizeLinear") quantized_as[n.inputs[0]] = fallback->quantized.model.graph.initializers.at(n.inputs[2]).dtype();
  EXPECT_EQ(quantized_as.at("h2"), DataType::kInt16);
  EXPECT_EQ(quantized_as.at("x"), DataType::kUint8);
  EXPECT_NE(fallback->ToJson().find("\"kept_as\": \"int16\""), std::string::npos);
}

}  // namespace
}  // namespace qplay
