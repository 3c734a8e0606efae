// The engine's results do not depend on batch size or on which kernels ran: for each bundled
// model, float and quantized (QDQ, run as integer kernels), a batch of 8 equals 8 single runs
// bit for bit, and the fast kernels agree with the reference kernels (kernel by kernel,
// integer results are bit-exact: fast_kernels_test.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/simd/relaxed_dot_mode.h"
#include "onnx/model.h"
#include "quant/static_quantizer.h"
#include "runtime/session.h"
#include "test_data.h"
#include "test_paths.h"

namespace qplay {
namespace {

Tensor Images(int64_t count) { return testing::LoadSourceNpy("examples/data/evaluation_images.npy", count); }

Tensor Logits(const Model& model, const Tensor& x, KernelVariant kernels = KernelVariant::kFast) {
  SessionOptions options;
  options.kernels = kernels;
  auto out = Session::Create(model, options)->Run({{"input", x}});
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out->at("logits");
}

class EngineConsistency : public ::testing::TestWithParam<std::tuple<std::string, bool>> {
 protected:
  void SetUp() override {
    const auto& [name, quantize] = GetParam();
    model_ = LoadModelFile(testing::SourcePath("examples/models/" + name + ".onnx")).value();
    if (quantize) {
      QuantizationConfig config;
      config.per_channel = true;
      config.calibration_limit = 20;
      model_ = QuantizeStatic(model_, config, {{"input", testing::LoadSourceNpy("examples/data/calibration_images.npy", 20)}})
                   .value()
                   .model;
    }
  }
  Model model_;
};

TEST_P(EngineConsistency, BatchOfEightEqualsEightSingleRuns) {
  const Tensor batch = Images(8);
  const Tensor all = Logits(model_, batch);
  const int64_t per_image = all.size() / 8;
  for (int64_t i = 0; i < 8; ++i) {
    const Tensor one = Logits(model_, batch.SliceRows(i, 1));
    EXPECT_EQ(std::memcmp(one.data<float>(), all.data<float>() + i * per_image, per_image * sizeof(float)), 0) << "image " << i;
  }
}

// Float models: every logit within 1e-5 relative. Quantized models: a float op's last-bit
// difference (LayerNormalization, Softmax, Erf feed QuantizeLinear there) can move a value
// across a rounding boundary, one quantization step; at most 5% of logits may show that, and
// the predicted class does not change.
TEST_P(EngineConsistency, FastKernelsAgreeWithTheReferenceKernels) {
  const bool quantized = std::get<1>(GetParam());
  const int64_t images = 64;
  const Tensor x = Images(images);
  const Tensor fast = Logits(model_, x), reference = Logits(model_, x, KernelVariant::kReference);
  float scale = 0;
  for (int64_t i = 0; i < reference.size(); ++i) scale = std::max(scale, std::abs(reference.data<float>()[i]));
  int64_t differing = 0;
  for (int64_t i = 0; i < reference.size(); ++i)
    differing += std::abs(fast.data<float>()[i] - reference.data<float>()[i]) > 1e-5f * scale;
  EXPECT_LE(differing, quantized ? reference.size() / 20 : 0) << differing << " of " << reference.size() << " logits differ";
  const int64_t classes = reference.size() / images;
  for (int64_t row = 0; row < images; ++row) {
    const float* f = fast.data<float>() + row * classes;
    const float* r = reference.data<float>() + row * classes;
    EXPECT_EQ(std::max_element(f, f + classes) - f, std::max_element(r, r + classes) - r) << "image " << row;
  }
}

// The relaxed module's 8-bit GEMMs (here on the emulated signed reading of its dot product)
// give the same bits as the dot16 ones, whole model through.
TEST_P(EngineConsistency, RelaxedGemmsGiveTheSameBits) {
  const Tensor x = Images(16);
  const Tensor dot16 = Logits(model_, x);
  OverrideRelaxedDotForTesting(RelaxedDotMode::kSigned);
  const Tensor relaxed = Logits(model_, x);
  OverrideRelaxedDotForTesting(std::nullopt);
  EXPECT_EQ(std::memcmp(relaxed.data<float>(), dot16.data<float>(), dot16.size() * sizeof(float)), 0);
}

INSTANTIATE_TEST_SUITE_P(Bundled, EngineConsistency,
                         ::testing::Combine(::testing::Values("cnn", "transformer", "lstm"), ::testing::Bool()));

}  // namespace
}  // namespace qplay
