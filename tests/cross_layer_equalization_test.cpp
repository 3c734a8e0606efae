// Cross-layer equalization on the trained CNN whose depthwise -> pointwise channels are
// deliberately unbalanced (channel i of the depthwise conv scaled by c_i, the pointwise conv's
// input channel i by 1 / c_i: the same function): per-tensor int8 quantization suffers, and
// equalizing first brings the quantized model's error back down.
#include <gtest/gtest.h>

#include <cmath>

#include "onnx/model.h"
#include "analysis/evaluate.h"
#include "passes/cross_layer_equalization.h"
#include "quant/static_quantizer.h"
#include "runtime/session.h"
#include "test_data.h"
#include "test_paths.h"

namespace qplay {
namespace {

// The prepared CNN with the depthwise conv's channels scaled by 0.02 .. 50.
Model UnbalancedCnn() {
  Model model = LoadModelFile(testing::SourcePath("examples/models/cnn.onnx")).value();
  EXPECT_TRUE(PrepareForQuantization(model).ok());
  Graph& g = model.graph;
  Node* depthwise = nullptr;
  Node* pointwise = nullptr;
  for (Node& n : g.nodes) {
    if (n.op_type == "Conv" && n.GetInt("group", 1) > 1) depthwise = &n;
    if (n.op_type == "Conv" && depthwise && n.GetInt("group", 1) == 1 && &n != depthwise) pointwise = &n;
  }
  EXPECT_TRUE(depthwise && pointwise);
  Tensor wd = g.initializers.at(depthwise->inputs[1]).Clone(), bd = g.initializers.at(depthwise->inputs[2]).Clone();
  Tensor wp = g.initializers.at(pointwise->inputs[1]).Clone();
  const int64_t channels = wd.dim(0), taps = wd.size() / channels, outputs = wp.dim(0);
  for (int64_t c = 0; c < channels; ++c) {
    const float factor = std::pow(50.0f, static_cast<float>(c % 5 - 2) / 2.0f);  // 0.02, 0.14, 1, 7.1, 50
    for (int64_t t = 0; t < taps; ++t) wd.data<float>()[c * taps + t] *= factor;
    bd.data<float>()[c] *= factor;
    for (int64_t o = 0; o < outputs; ++o) wp.data<float>()[o * channels + c] /= factor;
  }
  g.initializers[depthwise->inputs[1]] = wd;
  g.initializers[depthwise->inputs[2]] = bd;
  g.initializers[pointwise->inputs[1]] = wp;
  return model;
}

double LogitsSqnr(const Model& reference, const Model& test) {
  auto report = Evaluate(reference, &test, {{"", testing::LoadSourceNpy("examples/data/evaluation_images.npy", 300)}}, nullptr);
  EXPECT_TRUE(report.ok()) << report.status().message();
  return report->outputs.at("logits").sqnr_db;
}

TEST(CrossLayerEqualization, KeepsTheFunctionAndRecoversPerTensorQuantization) {
  const Model original = LoadModelFile(testing::SourcePath("examples/models/cnn.onnx")).value();
  const Model unbalanced = UnbalancedCnn();
  EXPECT_GT(LogitsSqnr(original, unbalanced), 80.0) << "rescaling channels does not change the function";

  Model equalized = unbalanced;
  auto report = EqualizeCrossLayer(equalized);
  ASSERT_TRUE(report.ok());
  EXPECT_GE(report->changes.size(), 2u);  // conv2 -> depthwise (through the pool), depthwise -> pointwise
  EXPECT_GT(LogitsSqnr(unbalanced, equalized), 80.0) << "equalization does not change the function either";

  QuantizationConfig per_tensor;
  per_tensor.calibration_limit = 50;
  const SampleSet calibration = {{"input", testing::LoadSourceNpy("examples/data/calibration_images.npy", 50)}};
  auto plain = QuantizeStatic(unbalanced, per_tensor, calibration);
  per_tensor.cross_layer_equalization = true;
  auto with_cle = QuantizeStatic(unbalanced, per_tensor, calibration);
  ASSERT_TRUE(plain.ok() && with_cle.ok());
  const double before = LogitsSqnr(unbalanced, plain->model), after = LogitsSqnr(unbalanced, with_cle->model);
  EXPECT_GT(after, before + 6.0) << "SQNR " << before << " dB without equalization, " << after << " dB with it";
  std::cout << "logits SQNR, per-tensor int8: " << before << " dB without equalization, " << after << " dB with it\n";
  EXPECT_EQ(with_cle->passes.back().pass, "cross-layer equalization");
}

}  // namespace
}  // namespace qplay
