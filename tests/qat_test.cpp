// Quantization-aware training on the bundled models: it trains (the loss falls), keeps the
// static quantizer's format and accuracy, is deterministic for a seed, and names what it
// cannot train.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "onnx/model.h"
#include "analysis/evaluate.h"
#include "test_data.h"
#include "test_paths.h"
#include "train/qat.h"

namespace qplay {
namespace {

class QatCnn : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = LoadModelFile(testing::SourcePath("examples/models/cnn.onnx")).value();
    x_ = testing::LoadSourceNpy("examples/data/calibration_images.npy", 64);
    y_ = testing::LoadSourceNpy("examples/data/calibration_labels.npy", 64);
    eval_x_ = testing::LoadSourceNpy("examples/data/evaluation_images.npy", 100);
    eval_y_ = testing::LoadSourceNpy("examples/data/evaluation_labels.npy", 100);
  }
  Model model_;
  Tensor x_, y_, eval_x_, eval_y_;
};

TEST_F(QatCnn, TrainsAndWritesTheStaticQuantizersFormat) {
  QuantizationConfig config;  // per tensor: where PTQ loses the most on this model
  QatOptions options;
  options.epochs = 3;
  options.batch_size = 16;
  options.learning_rate = 1e-4;
  std::vector<EpochReport> epochs;
  auto result = QuantizationAwareTraining(model_, config, x_, y_, &eval_x_, &eval_y_, options, [&](const EpochReport& r) {
    epochs.push_back(r);
    return true;
  });
  ASSERT_TRUE(result.ok()) << result.status().message();
  ASSERT_EQ(epochs.size(), 3u);
  EXPECT_LT(epochs[2].loss, epochs[0].loss);  // on its own 64 samples the loss must fall
  ASSERT_TRUE(epochs[2].accuracy.has_value());

  auto ptq = QuantizeStatic(model_, config, {{"input", x_}});
  ASSERT_TRUE(ptq.ok());
  int qdq_nodes = 0;
  for (const Node& n : result->model.graph.nodes) qdq_nodes += n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear";
  EXPECT_GT(qdq_nodes, 10);
  EXPECT_EQ(result->quantized_nodes, ptq->quantized_nodes);
  auto qat_eval = Evaluate(model_, &result->model, {{"", eval_x_}}, &eval_y_);
  auto ptq_eval = Evaluate(model_, &ptq->model, {{"", eval_x_}}, &eval_y_);
  ASSERT_TRUE(qat_eval.ok() && ptq_eval.ok());
  EXPECT_GE(qat_eval->classes.test_accuracy(), ptq_eval->classes.test_accuracy() - 0.02);
  // The result keeps the best epoch: its quantized accuracy is what the fake-quantized model measured then.
  double best = 0;
  for (const auto& e : epochs) best = std::max(best, *e.accuracy);
  EXPECT_NEAR(qat_eval->classes.test_accuracy(), best, 0.02);
}

// The bundled transformer (MatMul weights fake-quantized on the static quantizer's axis,
// LayerNormalization, attention and GELU differentiated) and LSTM (through time): the loss
// falls and the result keeps the static quantizer's format and accuracy.
TEST_F(QatCnn, TrainsTheTransformerAndTheLstm) {
  for (const char* name : {"transformer", "lstm"}) {
    const Model model = LoadModelFile(testing::SourcePath(std::string("examples/models/") + name + ".onnx")).value();
    QuantizationConfig config;
    config.per_channel = true;
    QatOptions options;
    options.epochs = 2;
    options.batch_size = 16;
    options.learning_rate = 1e-4;
    options.optimizer = "adam";
    std::vector<EpochReport> epochs;
    auto result = QuantizationAwareTraining(model, config, x_, y_, &eval_x_, &eval_y_, options, [&](const EpochReport& r) {
      epochs.push_back(r);
      return true;
    });
    ASSERT_TRUE(result.ok()) << name << ": " << result.status().message();
    ASSERT_EQ(epochs.size(), 2u) << name;
    EXPECT_LT(epochs[1].loss, epochs[0].loss) << name;
    auto ptq = QuantizeStatic(model, config, {{"input", x_}});
    ASSERT_TRUE(ptq.ok()) << name;
    EXPECT_EQ(result->quantized_nodes, ptq->quantized_nodes) << name;
    auto qat_eval = Evaluate(model, &result->model, {{"", eval_x_}}, &eval_y_);
    auto ptq_eval = Evaluate(model, &ptq->model, {{"", eval_x_}}, &eval_y_);
    ASSERT_TRUE(qat_eval.ok() && ptq_eval.ok()) << name;
    EXPECT_GE(qat_eval->classes.test_accuracy(), ptq_eval->classes.test_accuracy() - 0.02) << name;
  }
}

TEST_F(QatCnn, TheSameSeedGivesTheSameModel) {
  QuantizationConfig config;
  QatOptions options;
  options.epochs = 1;
  options.optimizer = "adam";
  const Tensor x = x_.SliceRows(0, 32), y = y_.SliceRows(0, 32);
  auto a = QuantizationAwareTraining(model_, config, x, y, nullptr, nullptr, options);
  auto b = QuantizationAwareTraining(model_, config, x, y, nullptr, nullptr, options);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().message();
  for (const auto& [name, t] : a->model.graph.initializers) {
    const Tensor& other = b->model.graph.initializers.at(name);
    ASSERT_EQ(t.nbytes(), other.nbytes());
    EXPECT_EQ(std::memcmp(t.raw(), other.raw(), t.nbytes()), 0) << name;
  }
}

// The scale of each activation a QuantizeLinear writes, by the tensor it quantizes.
std::map<std::string, float> ActivationScales(const Model& m) {
  std::map<std::string, float> scales;
  for (const Node& n : m.graph.nodes)
    if (n.op_type == "QuantizeLinear" && m.graph.IsInitializer(n.inputs[1])) scales[n.inputs[0]] = m.graph.initializers.at(n.inputs[1]).data<float>()[0];
  return scales;
}

TEST_F(QatCnn, LearnedScalesMoveTheActivationScalesAndKeepTheModelWorking) {
  QuantizationConfig config;
  QatOptions options;
  options.epochs = 1;
  options.lsq = true;
  options.learning_rate = 1e-4;
  options.optimizer = "adam";  // steps of about the learning rate, whatever the gradient's size
  const Tensor x = x_.SliceRows(0, 32), y = y_.SliceRows(0, 32);
  auto learned = QuantizationAwareTraining(model_, config, x, y, nullptr, nullptr, options);
  options.lsq = false;
  auto fixed = QuantizationAwareTraining(model_, config, x, y, nullptr, nullptr, options);
  ASSERT_TRUE(learned.ok() && fixed.ok()) << learned.status().message();
  const auto a = ActivationScales(learned->model), b = ActivationScales(fixed->model);
  ASSERT_EQ(a.size(), b.size());
  int moved = 0;
  for (const auto& [tensor, scale] : a) moved += scale != b.at(tensor);
  EXPECT_GT(moved, 0);
  auto accuracy = Evaluate(model_, &learned->model, {{"", eval_x_}}, &eval_y_);
  ASSERT_TRUE(accuracy.ok());
  EXPECT_GT(accuracy->classes.agreement(), 0.8);
}

// Observers move the activation ranges toward the batches' for the first steps, then freeze:
// the scales differ from the calibrated ones and stay as they were after those steps.
TEST_F(QatCnn, ObserversMoveTheActivationScalesThenFreeze) {
  QuantizationConfig config;
  QatOptions options;
  options.learning_rate = 1e-4;
  options.batch_size = 16;
  options.observer_steps = 2;  // of the four steps in an epoch of 64 samples
  auto session = QatSession::Start(model_, config, x_, y_, nullptr, nullptr, options);
  ASSERT_TRUE(session.ok()) << session.status().message();
  ASSERT_TRUE((*session)->RunEpoch().ok());
  auto after_one = (*session)->Finish();
  ASSERT_TRUE((*session)->RunEpoch().ok());
  auto after_two = (*session)->Finish();
  options.observer_steps = 0;
  auto calibrated = QuantizationAwareTraining(model_, config, x_, y_, nullptr, nullptr, options);
  ASSERT_TRUE(after_one.ok() && after_two.ok() && calibrated.ok());
  const auto observed = ActivationScales(after_one->model), frozen = ActivationScales(after_two->model),
             initial = ActivationScales(calibrated->model);
  int moved = 0;
  for (const auto& [tensor, scale] : observed) moved += scale != initial.at(tensor);
  EXPECT_GT(moved, 0);
  EXPECT_EQ(observed, frozen);
}

TEST_F(QatCnn, BadInputIsNamed) {
  QuantizationConfig config;
  QatOptions options;
  EXPECT_EQ(QuantizationAwareTraining(model_, config, x_, y_.SliceRows(0, 5), nullptr, nullptr, options).status().message(),
            "5 labels for 64 training samples");
  options.observer_steps = -3;
  EXPECT_EQ(QuantizationAwareTraining(model_, config, x_, y_, nullptr, nullptr, options).status().message(),
            "observer steps must be 0 or more, got -3");
  options.observer_steps = 0;
  options.optimizer = "rmsprop";
  EXPECT_NE(QuantizationAwareTraining(model_, config, x_, y_, nullptr, nullptr, options).status().message().find("optimizer sgd or adam"),
            std::string::npos);
  Model rounded = model_;  // an op with no gradient to pass
  for (Node& n : rounded.graph.nodes)
    if (n.op_type == "Relu") {
      n.op_type = "Floor";
      break;
    }
  auto unsupported = QuantizationAwareTraining(rounded, config, x_, y_, nullptr, nullptr, QatOptions{});
  ASSERT_FALSE(unsupported.ok());
  EXPECT_NE(unsupported.status().message().find("(Floor): quantization-aware training has no backward pass for Floor"), std::string::npos)
      << unsupported.status().message();
}

}  // namespace
}  // namespace qplay
