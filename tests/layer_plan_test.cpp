// The layer list's marks: which nodes each config quantizes, before any calibration, and
// the same nodes the quantizer then reports.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "onnx/model.h"
#include "quant/layer_plan.h"
#include "quant/static_quantizer.h"
#include "test_data.h"
#include "test_paths.h"

namespace qplay {
namespace {

std::map<std::string, int> FatesByOp(const std::vector<LayerPlan>& plan, LayerFate fate) {
  std::map<std::string, int> count;
  for (const LayerPlan& layer : plan)
    if (layer.fate == fate) ++count[layer.op_type];
  return count;
}

class LayerPlanCnn : public ::testing::Test {
 protected:
  void SetUp() override { model_ = LoadModelFile(testing::SourcePath("examples/models/cnn.onnx")).value(); }
  Model model_;
};

TEST_F(LayerPlanCnn, StaticMarksTheNodesTheQuantizerQuantizes) {
  QuantizationConfig config;
  auto plan = PlanLayers(model_, config);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(plan->size(), model_.graph.nodes.size());
  EXPECT_EQ(FatesByOp(*plan, LayerFate::kFolded), (std::map<std::string, int>{{"BatchNormalization", 4}}));
  const auto quantized = FatesByOp(*plan, LayerFate::kQuantized);
  EXPECT_EQ(quantized.at("Conv"), 4);
  EXPECT_EQ(quantized.at("Gemm"), 1);
  EXPECT_EQ(quantized.at("Relu"), 4) << "fused into the quantized Conv before each";

  config.calibration_limit = 10;
  auto result = QuantizeStatic(model_, config, {{"input", testing::LoadSourceNpy("examples/data/calibration_images.npy", 10)}});
  ASSERT_TRUE(result.ok());
  std::set<std::string> marked;
  for (const LayerPlan& layer : *plan)
    if (layer.fate == LayerFate::kQuantized && layer.op_type != "Relu") marked.insert(layer.node);
  EXPECT_EQ(marked, std::set<std::string>(result->quantized_nodes.begin(), result->quantized_nodes.end()));
}

TEST_F(LayerPlanCnn, AnExcludedNodeStaysFloat) {
  QuantizationConfig config;
  for (const Node& n : model_.graph.nodes)
    if (n.op_type == "Gemm") config.nodes_to_exclude.insert(n.name);
  auto plan = PlanLayers(model_, config);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(FatesByOp(*plan, LayerFate::kQuantized).count("Gemm"), 0u);
  EXPECT_EQ(FatesByOp(*plan, LayerFate::kFloat).at("Gemm"), 1);
}

TEST_F(LayerPlanCnn, DynamicAndWeightOnlyNeedNoSamples) {
  QuantizationConfig dynamic;
  dynamic.mode = QuantMode::kDynamic;
  auto plan = PlanLayers(model_, dynamic);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(FatesByOp(*plan, LayerFate::kQuantized).at("Conv"), 4);
  QuantizationConfig weight_only;
  weight_only.mode = QuantMode::kWeightOnly;
  plan = PlanLayers(model_, weight_only);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(FatesByOp(*plan, LayerFate::kQuantized).count("Conv"), 0u) << "weight-only quantizes MatMul weights";
}

TEST_F(LayerPlanCnn, AnInvalidConfigIsNamed) {
  QuantizationConfig config;
  config.backend = "nonesuch";
  auto plan = PlanLayers(model_, config);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("nonesuch"), std::string::npos) << plan.status().message();
}

}  // namespace
}  // namespace qplay
