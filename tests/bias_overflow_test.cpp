// Quantization fidelity guards: an int32 bias that a tiny input scale would saturate gets a
// wider weight scale instead (and the output keeps the bias), and MinimumRealRange widens
// collapsed activation ranges; each adjusted tensor is named in the notes.
#include <gtest/gtest.h>

#include <cmath>

#include "gemm_model.h"
#include "onnx/model.h"
#include "quant/static_quantizer.h"
#include "runtime/session.h"

namespace qplay {
namespace {

// Inputs whose range has collapsed to [0, 1e-9]: the input scale is about 4e-12.
Tensor TinyInputs() {
  Tensor x(DataType::kFloat, {6, 4});
  for (int64_t i = 0; i < x.size(); ++i) x.data<float>()[i] = static_cast<float>(i % 5) * 2.5e-10f;
  return x;
}

Tensor Outputs(const Model& model, const Tensor& x) {
  auto out = Session::Create(model)->Run({{"x", x}});
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out->at("y");
}

const Tensor& Int32Bias(const Model& m) {
  for (const auto& [name, t] : m.graph.initializers)
    if (t.dtype() == DataType::kInt32) return t;
  ADD_FAILURE() << "no int32 bias";
  return m.graph.initializers.begin()->second;
}

class BiasOverflow : public ::testing::TestWithParam<bool> {};

TEST_P(BiasOverflow, WeightScaleWidensSoTheBiasStaysExact) {
  QuantizationConfig config;
  config.per_channel = GetParam();
  const Model model = testing::GemmModel();
  auto result = QuantizeStatic(model, config, {{"x", TinyInputs()}});
  ASSERT_TRUE(result.ok()) << result.status().message();

  const Tensor& bias = Int32Bias(result->model);
  for (int64_t c = 0; c < bias.size(); ++c) EXPECT_LT(std::abs(static_cast<double>(bias.data<int32_t>()[c])), 2147483647.0) << c;
  const Tensor expected = Outputs(model, TinyInputs()), got = Outputs(result->model, TinyInputs());
  for (int64_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(got.data<float>()[i], expected.data<float>()[i], 1e-5) << i;

  ASSERT_EQ(result->notes.size(), 1u);
  EXPECT_EQ(result->notes[0].tensor, "w");
  EXPECT_EQ(result->notes[0].node, "fc");
  EXPECT_NE(result->notes[0].message.find(GetParam() ? "widened 3 of 3 weight scales" : "widened 1 of 1 weight scales"),
            std::string::npos)
      << result->notes[0].message;
  EXPECT_NE(result->notes[0].message.find("bias 'b'"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(PerTensorAndPerChannel, BiasOverflow, ::testing::Bool());

TEST(BiasOverflow, OrdinaryRangesChangeNothing) {
  Tensor x(DataType::kFloat, {6, 4});
  for (int64_t i = 0; i < x.size(); ++i) x.data<float>()[i] = static_cast<float>(i % 7) - 3.0f;
  QuantizationConfig config;
  config.per_channel = true;
  auto result = QuantizeStatic(testing::GemmModel(), config, {{"x", x}});
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_TRUE(result->notes.empty());
}

TEST(MinimumRealRange, WidensCollapsedActivationRanges) {
  QuantizationConfig config;
  config.minimum_real_range = 1e-4;
  auto result = QuantizeStatic(testing::GemmModel(), config, {{"x", TinyInputs()}});
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_FLOAT_EQ(result->ranges.at("x").max - result->ranges.at("x").min, 1e-4f);
  EXPECT_NEAR(result->activations.at("x").scale, 1e-4 / 255, 1e-9);
  ASSERT_FALSE(result->notes.empty());
  EXPECT_EQ(result->notes[0].tensor, "x");
  EXPECT_NE(result->notes[0].message.find("widened to MinimumRealRange"), std::string::npos) << result->notes[0].message;
}

TEST(MinimumRealRange, IsValidated) {
  auto config = QuantizationConfig::FromJson(R"({"extra_options": {"MinimumRealRange": -1}})");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("MinimumRealRange must be a finite number >= 0, got -1"), std::string::npos)
      << config.status().message();
  EXPECT_EQ(QuantizationConfig::FromJson(R"({"extra_options": {"MinimumRealRange": 0.001}})")->minimum_real_range, 0.001);
}

}  // namespace
}  // namespace qplay
