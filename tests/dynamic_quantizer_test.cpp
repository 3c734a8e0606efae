// DynamicQuantizer: ONNX Runtime's quantize_dynamic layout (DynamicQuantizeLinear + ConvInteger /
// MatMulInteger + Cast + Mul), accuracy kept on the bundled models, MatMulConstBOnly honoured.
#include <gtest/gtest.h>

#include "analysis/metrics.h"
#include "quant/quantizer.h"
#include "runtime/session.h"
#include "test_data.h"
#include "test_paths.h"

namespace qplay {
namespace {

Model Bundled(const std::string& name) { return LoadModelFile(testing::SourcePath("examples/models/" + name + ".onnx")).value(); }

std::map<std::string, int> OpCounts(const Graph& g) {
  std::map<std::string, int> counts;
  for (const Node& n : g.nodes) ++counts[n.op_type];
  return counts;
}

double Agreement(const Model& a, const Model& b) {
  const Tensor x = testing::LoadSourceNpy("examples/data/evaluation_images.npy", 200);
  auto ya = Session::Create(a)->Run({{"input", x}});
  auto yb = Session::Create(b)->Run({{"input", x}});
  EXPECT_TRUE(ya.ok() && yb.ok());
  ClassificationMetrics m;
  EXPECT_TRUE(AddClassificationBatch(m, ya->at("logits"), yb->at("logits"), nullptr).ok());
  return m.agreement();
}

QuantizationConfig Dynamic(bool per_channel) {
  QuantizationConfig c;
  c.mode = QuantMode::kDynamic;
  c.per_channel = per_channel;
  return c;
}

TEST(DynamicQuantizer, CnnConvolutionsAndFullyConnectedBecomeIntegerOps) {
  const Model model = Bundled("cnn");
  auto result = Quantize(model, Dynamic(true), {});
  ASSERT_TRUE(result.ok()) << result.status().message();
  const auto ops = OpCounts(result->model.graph);
  EXPECT_EQ(ops.count("Conv"), 0u);
  EXPECT_EQ(ops.count("Gemm"), 0u);
  EXPECT_EQ(ops.at("ConvInteger"), 4);
  EXPECT_EQ(ops.at("MatMulInteger"), 1);
  EXPECT_EQ(ops.at("DynamicQuantizeLinear"), 5);
  EXPECT_EQ(result->quantized_nodes.size(), 5u);
  int int8_weights = 0;
  for (const auto& [name, t] : result->model.graph.initializers) int8_weights += t.dtype() == DataType::kInt8 && t.rank() > 1;
  EXPECT_EQ(int8_weights, 5);
  EXPECT_GE(Agreement(model, result->model), 0.99);

  auto bytes = ExportModel(result->model);
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(LoadModel(bytes->data(), bytes->size()).ok());
}

TEST(DynamicQuantizer, MatMulConstBOnlyDecidesAboutAttentionMatMuls) {
  const Model model = Bundled("transformer");
  auto weights_only = Quantize(model, Dynamic(false), {});
  ASSERT_TRUE(weights_only.ok()) << weights_only.status().message();
  EXPECT_EQ(OpCounts(weights_only->model.graph).at("MatMul"), 4) << "attention's activation x activation MatMuls stay float";
  QuantizationConfig all = Dynamic(false);
  all.matmul_const_b_only = false;
  auto everything = Quantize(model, all, {});
  ASSERT_TRUE(everything.ok()) << everything.status().message();
  EXPECT_EQ(OpCounts(everything->model.graph).count("MatMul"), 0u);
  EXPECT_EQ(everything->quantized_nodes.size(), weights_only->quantized_nodes.size() + 4);
  EXPECT_GE(Agreement(model, weights_only->model), 0.98);
  EXPECT_GE(Agreement(model, everything->model), 0.97);
}

TEST(DynamicQuantizer, LstmWeightsStoredAsIntegers) {
  const Model model = Bundled("lstm");
  auto result = Quantize(model, Dynamic(true), {});
  ASSERT_TRUE(result.ok()) << result.status().message();
  const Graph& g = result->model.graph;
  for (const Node& n : g.nodes)
    if (n.op_type == "LSTM")
      for (size_t i : {1, 2}) {
        const Node* dq = nullptr;
        for (const Node& p : g.nodes)
          if (p.outputs[0] == n.inputs[i]) dq = &p;
        ASSERT_NE(dq, nullptr);
        EXPECT_EQ(dq->op_type, "DequantizeLinear");
        EXPECT_EQ(g.initializers.at(dq->inputs[0]).dtype(), DataType::kInt8);
      }
  EXPECT_GE(Agreement(model, result->model), 0.99);
}

TEST(DynamicQuantizer, ConfigModeAndErrors) {
  auto c = QuantizationConfig::FromJson(R"({"mode": "dynamic", "extra_options": {"MatMulConstBOnly": false}})");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->mode, QuantMode::kDynamic);
  EXPECT_FALSE(c->matmul_const_b_only);
  EXPECT_EQ(QuantizationConfig::FromJson(c->ToJson())->ToJson(), c->ToJson());
  EXPECT_EQ(QuantizationConfig::FromJson(R"({"mode": "weights"})").status().message(), "mode 'weights' is not static, dynamic or weight_only");
}

}  // namespace
}  // namespace qplay
