// GroupNormalization against the ops it generalizes: one channel per group is
// InstanceNormalization, and opset 18's per-group scale equals opset 21's per-channel scale
// repeated over each group's channels.
#include <gtest/gtest.h>

#include <random>

#include "model_builder.h"
#include "onnx/model.h"
#include "runtime/session.h"

namespace qplay {
namespace {

// y of one node over X [2, 4, 3] with constant scale and bias.
Result<Tensor> Normalize(int64_t opset, const std::string& op, int64_t groups, std::vector<float> scale, std::vector<float> bias) {
  testing::ModelBuilder b(opset);
  b.Input("x", {2, 4, 3}).Output("y").Initializer("scale", {static_cast<int64_t>(scale.size())}, scale);
  b.Initializer("bias", {static_cast<int64_t>(bias.size())}, bias);
  auto* node = b.Node(op, {"x", "scale", "bias"}, {"y"}, "norm");
  if (op == "GroupNormalization") testing::SetInt(node, "num_groups", groups);
  const std::string bytes = b.Bytes();
  auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "norm.onnx");
  if (!model.ok()) return model.status();
  auto session = Session::Create(*model);
  if (!session.ok()) return session.status();
  Tensor x(DataType::kFloat, {2, 4, 3});
  std::mt19937 gen(7);
  std::normal_distribution<float> normal(1.0f, 2.0f);
  for (int64_t i = 0; i < x.size(); ++i) x.data<float>()[i] = normal(gen);
  auto out = session->Run({{"x", x}});
  if (!out.ok()) return out.status();
  return out->at("y");
}

void ExpectNear(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.shape(), b.shape());
  for (int64_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a.data<float>()[i], b.data<float>()[i], 1e-5) << i;
}

TEST(GroupNormalization, OneChannelPerGroupIsInstanceNormalization) {
  const std::vector<float> scale{1, 2, 3, 4}, bias{0, 1, -1, 0.5f};
  auto group = Normalize(21, "GroupNormalization", 4, scale, bias), instance = Normalize(21, "InstanceNormalization", 0, scale, bias);
  ASSERT_TRUE(group.ok() && instance.ok()) << group.status().message() << instance.status().message();
  ExpectNear(*group, *instance);
}

TEST(GroupNormalization, Opset18ScalesPerGroupAndOpset21PerChannel) {
  auto per_group = Normalize(18, "GroupNormalization", 2, {2, 3}, {1, -1});
  auto per_channel = Normalize(21, "GroupNormalization", 2, {2, 2, 3, 3}, {1, 1, -1, -1});
  ASSERT_TRUE(per_group.ok() && per_channel.ok()) << per_group.status().message() << per_channel.status().message();
  ExpectNear(*per_group, *per_channel);
  EXPECT_EQ(Normalize(21, "GroupNormalization", 3, {1, 1, 1, 1}, {0, 0, 0, 0}).status().message(),
            "node 'norm' (GroupNormalization): 4 channels do not split into 3 groups");
  EXPECT_EQ(Normalize(21, "GroupNormalization", 2, {1, 1}, {0, 0}).status().message(),
            "node 'norm' (GroupNormalization): scale and bias must have 4 values, got 2 and 2");
}

}  // namespace
}  // namespace qplay
