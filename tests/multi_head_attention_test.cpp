// com.microsoft MultiHeadAttention's key/value cache and the forms it refuses, by name. Its
// numbers are checked against onnxruntime-node on the test zoo (mha_* in
// wasm-tests/wasm/zoo-coverage.test.mjs).
#include <gtest/gtest.h>

#include "model_builder.h"
#include "run_model.h"

namespace qplay {
namespace {

struct Feed {
  std::string name;
  Shape shape;
};

// One MultiHeadAttention node (2 heads) over the given inputs ("" skips one), run on a repeating ramp.
Result<TensorMap> RunAttention(const std::vector<Feed>& feeds, const std::vector<std::string>& outputs) {
  testing::ModelBuilder b(13);
  b.Import("com.microsoft", 1);
  std::vector<std::string> inputs;
  std::map<std::string, Tensor> values;
  for (const Feed& feed : feeds) {
    inputs.push_back(feed.name);
    if (feed.name.empty() || values.count(feed.name)) continue;  // an input read twice is declared once
    b.Input(feed.name, feed.shape);
    Tensor t(DataType::kFloat, feed.shape);
    for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = 0.1f * static_cast<float>(i % 7);
    values[feed.name] = t;
  }
  for (const std::string& output : outputs) b.Output(output);
  auto* node = b.Node("MultiHeadAttention", inputs, outputs, "mha");
  node->set_domain("com.microsoft");
  testing::SetInt(node, "num_heads", 2);
  return testing::LoadAndRun(b.Bytes(), values, "mha.onnx");
}

TEST(MultiHeadAttention, ReturnsTheCacheGrownByTheNewKeysAndValues) {
  auto out = RunAttention({{"x", {1, 2, 8}}, {"x", {}}, {"x", {}}, {"", {}}, {"", {}}, {"", {}}, {"past_key", {1, 2, 3, 4}},
                           {"past_value", {1, 2, 3, 4}}},
                          {"y", "present_key", "present_value"});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->at("y").shape(), (Shape{1, 2, 8}));
  const Tensor& present = out->at("present_key");
  ASSERT_EQ(present.shape(), (Shape{1, 2, 5, 4}));
  // Head 1's rows: its 3 cached keys, then x's elements 4..7 of each of the 2 positions.
  EXPECT_FLOAT_EQ(present.data<float>()[(5 + 0) * 4], 0.1f * (12 % 7));
  EXPECT_FLOAT_EQ(present.data<float>()[(5 + 3) * 4], 0.1f * 4);
  EXPECT_FLOAT_EQ(present.data<float>()[(5 + 4) * 4], 0.1f * (12 % 7));
}

TEST(MultiHeadAttention, RefusesPackedInputsAndMismatchedCachesByName) {
  auto packed = RunAttention({{"qkv", {1, 2, 2, 3, 4}}}, {"y"});
  EXPECT_NE(packed.status().message().find("a query of shape [1, 2, 2, 3, 4] (packed Q, K and V"), std::string::npos)
      << packed.status().message();
  auto lone_past = RunAttention({{"x", {1, 2, 8}}, {"x", {}}, {"x", {}}, {"", {}}, {"", {}}, {"", {}}, {"past_key", {1, 2, 3, 4}}}, {"y"});
  EXPECT_NE(lone_past.status().message().find("past_key and past_value come together"), std::string::npos) << lone_past.status().message();
  auto per_head_bias = RunAttention({{"q", {1, 2, 8}}, {"k", {1, 2, 6, 4}}, {"v", {1, 2, 6, 4}}, {"bias", {24}}}, {"y"});
  EXPECT_NE(per_head_bias.status().message().find("key and value per head take no bias and no past"), std::string::npos)
      << per_head_bias.status().message();
}

}  // namespace
}  // namespace qplay
