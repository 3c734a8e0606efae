// SmoothQuant keeps the float function, and on a transformer given an outlier channel (one
// LayerNormalization channel scaled up 40x, the MatMul reading it scaled down: the same
// function) it brings per-tensor int8 quantization's error back down.
#include <gtest/gtest.h>

#include "onnx/model.h"
#include "analysis/evaluate.h"
#include "quant/smooth_quant.h"
#include "quant/static_quantizer.h"
#include "test_data.h"
#include "test_paths.h"

namespace qplay {
namespace {

SampleSet Calibration() { return {{"input", testing::LoadSourceNpy("examples/data/calibration_images.npy", 50)}}; }

double LogitsSqnr(const Model& reference, const Model& test) {
  auto report = Evaluate(reference, &test, {{"", testing::LoadSourceNpy("examples/data/evaluation_images.npy", 300)}}, nullptr);
  EXPECT_TRUE(report.ok()) << report.status().message();
  return report->outputs.at("logits").sqnr_db;
}

// The transformer with channel 3 of the second block's norm2 output made an outlier.
Model WithOutlierChannel() {
  Model model = LoadModelFile(testing::SourcePath("examples/models/transformer.onnx")).value();
  EXPECT_TRUE(PrepareForQuantization(model).ok());
  Graph& g = model.graph;
  for (Node& ln : g.nodes) {
    if (ln.op_type != "LayerNormalization" || ln.name.find("blocks.1/norm2") == std::string::npos) continue;
    for (size_t i : {1, 2}) {
      Tensor t = g.initializers.at(ln.inputs[i]).Clone();
      t.data<float>()[3] *= 40;
      g.initializers[ln.inputs[i]] = t;
    }
    for (Node& mm : g.nodes)
      if (mm.op_type == "MatMul" && mm.inputs[0] == ln.outputs[0]) {
        Tensor w = g.initializers.at(mm.inputs[1]).Clone();
        for (int64_t o = 0; o < w.dim(1); ++o) w.data<float>()[3 * w.dim(1) + o] /= 40;
        g.initializers[mm.inputs[1]] = w;
      }
  }
  return model;
}

TEST(SmoothQuant, KeepsTheFunctionAndHelpsWithOutlierChannels) {
  const Model original = LoadModelFile(testing::SourcePath("examples/models/transformer.onnx")).value();
  Model smoothed = original;
  auto report = SmoothActivations(smoothed, Calibration(), 0.5, 50);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_FALSE(report->changes.empty());
  EXPECT_GT(LogitsSqnr(original, smoothed), 80.0) << "smoothing does not change the function";

  const Model outlier = WithOutlierChannel();
  EXPECT_GT(LogitsSqnr(original, outlier), 80.0);
  QuantizationConfig config;  // per-tensor int8 weights, uint8 activations
  config.calibration_limit = 50;
  auto plain = QuantizeStatic(outlier, config, Calibration());
  config.smooth_quant = true;
  auto with_smoothing = QuantizeStatic(outlier, config, Calibration());
  ASSERT_TRUE(plain.ok() && with_smoothing.ok()) << with_smoothing.status().message();
  const double before = LogitsSqnr(outlier, plain->model), after = LogitsSqnr(outlier, with_smoothing->model);
  EXPECT_GT(after, before) << before << " dB without SmoothQuant, " << after << " dB with it";
  std::cout << "logits SQNR, per-tensor int8, outlier channel: " << before << " dB without SmoothQuant, " << after << " dB with it\n";
}

TEST(SmoothQuant, ConfigNamesAndErrors) {
  auto c = QuantizationConfig::FromJson(R"({"extra_options": {"SmoothQuant": true, "SmoothQuantAlpha": 0.7}})");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->smooth_quant);
  EXPECT_DOUBLE_EQ(c->smooth_quant_alpha, 0.7);
  EXPECT_EQ(QuantizationConfig::FromJson(R"({"extra_options": {"SmoothQuantAlpha": 1.5}})").status().message(),
            "SmoothQuantAlpha must be in [0, 1], got 1.5");
  QuantizationConfig smooth;
  smooth.smooth_quant = true;
  const Model model = LoadModelFile(testing::SourcePath("examples/models/transformer.onnx")).value();
  EXPECT_EQ(QuantizeStaticWithRanges(model, smooth, {}).status().message(),
            "SmoothQuant measures activations on calibration samples; none were given");
}

}  // namespace
}  // namespace qplay
