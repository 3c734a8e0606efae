// DynamicQuantizer: ONNX Runtime's quantize_dynamic layout (DynamicQuantizeLinear + ConvInteger /
// MatMulInteger + Cast + Mul, DynamicQuantizeLSTM), accuracy kept on the bundled models,
// MatMulConstBOnly honoured; and the DynamicQuantizeLSTM kernel against the float LSTM.
#include <gtest/gtest.h>

#include <cmath>

#include "onnx/model.h"
#include "analysis/metrics.h"
#include "model_builder.h"
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

// ONNX Runtime's quantize_dynamic layout for LSTM: com.microsoft DynamicQuantizeLSTM with W and
// R transposed to [directions, input or hidden, 4 x hidden] in int8, zero points 0.
TEST(DynamicQuantizer, LstmBecomesDynamicQuantizeLstm) {
  const Model model = Bundled("lstm");
  for (bool per_channel : {false, true}) {
    auto result = Quantize(model, Dynamic(per_channel), {});
    ASSERT_TRUE(result.ok()) << result.status().message();
    const Graph& g = result->model.graph;
    EXPECT_EQ(result->model.opsets.at("com.microsoft"), 1);
    const Node* lstm = nullptr;
    for (const Node& n : g.nodes)
      if (n.op_type == "DynamicQuantizeLSTM") lstm = &n;
    ASSERT_NE(lstm, nullptr);
    EXPECT_EQ(lstm->domain, "com.microsoft");
    ASSERT_EQ(lstm->inputs.size(), 12u);
    const Tensor &w = g.initializers.at(lstm->inputs[1]), &r = g.initializers.at(lstm->inputs[2]);
    const int64_t hidden = r.dim(1);
    EXPECT_EQ(w.dtype(), DataType::kInt8);
    EXPECT_EQ(w.shape(), (Shape{1, 28, 4 * hidden}));
    EXPECT_EQ(r.shape(), (Shape{1, hidden, 4 * hidden}));
    EXPECT_EQ(g.initializers.at(lstm->inputs[8]).shape(), per_channel ? (Shape{1, 4 * hidden}) : (Shape{1}));
    const Tensor& zero_point = g.initializers.at(lstm->inputs[11]);
    for (int64_t i = 0; i < zero_point.size(); ++i) EXPECT_EQ(zero_point.data<int8_t>()[i], 0);
    EXPECT_GE(Agreement(model, result->model), 0.99);
  }
}

TEST(DynamicQuantizer, LstmWithUint8WeightsKeepsItsCellBehindDequantizedWeights) {
  const Model model = Bundled("lstm");
  QuantizationConfig config = Dynamic(true);
  config.weight_type = DataType::kUint8;
  config.weight_symmetric = false;
  auto result = Quantize(model, config, {});
  ASSERT_TRUE(result.ok()) << result.status().message();
  const Graph& g = result->model.graph;
  int lstms = 0;
  for (const Node& n : g.nodes)
    if (n.op_type == "LSTM") {
      ++lstms;
      for (size_t i : {1, 2}) {
        const Node* dq = nullptr;
        for (const Node& p : g.nodes)
          if (p.outputs[0] == n.inputs[i]) dq = &p;
        ASSERT_NE(dq, nullptr);
        EXPECT_EQ(dq->op_type, "DequantizeLinear");
        EXPECT_EQ(g.initializers.at(dq->inputs[0]).dtype(), DataType::kUint8);
      }
    }
  EXPECT_EQ(lstms, 1);
  EXPECT_GE(Agreement(model, result->model), 0.99);
}

// ONNX Runtime has no integer GRU: it keeps the float cell (here bidirectional, PyTorch's
// linear_before_reset) and reads W and R from int8 initializers through DequantizeLinear.
TEST(DynamicQuantizer, GruKeepsItsCellBehindInt8Weights) {
  const Model model = LoadModelFile(testing::SourcePath("tests/models/gru.onnx")).value();
  std::vector<float> x(3 * 784);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i) * 0.37f);
  const Tensor input = Tensor::FromVector<float>({3, 1, 28, 28}, x);
  auto expected = Session::Create(model)->Run({{"input", input}});
  ASSERT_TRUE(expected.ok()) << expected.status().message();
  for (bool per_channel : {false, true}) {
    auto result = Quantize(model, Dynamic(per_channel), {});
    ASSERT_TRUE(result.ok()) << result.status().message();
    const Graph& g = result->model.graph;
    const Node* gru = nullptr;
    for (const Node& n : g.nodes)
      if (n.op_type == "GRU") gru = &n;
    ASSERT_NE(gru, nullptr);
    for (size_t i : {1, 2}) {
      const Node* dq = nullptr;
      for (const Node& p : g.nodes)
        if (p.outputs[0] == gru->inputs[i]) dq = &p;
      ASSERT_NE(dq, nullptr);
      EXPECT_EQ(dq->op_type, "DequantizeLinear");
      EXPECT_EQ(g.initializers.at(dq->inputs[0]).dtype(), DataType::kInt8);
      EXPECT_EQ(g.initializers.at(dq->inputs[1]).shape(), per_channel ? (Shape{3 * 16}) : (Shape{})) << "one scale per gate row";
    }
    auto got = Session::Create(result->model)->Run({{"input", input}});
    ASSERT_TRUE(got.ok()) << got.status().message();
    ErrorAccumulator error;
    ASSERT_TRUE(error.Add(expected->at("logits"), got->at("logits")).ok());
    EXPECT_GT(error.Result().sqnr_db, 30.0) << (per_channel ? "per channel" : "per tensor");
  }
}

// A one-layer LSTM (input 3, hidden 2) whose weights are multiples of 1/64 up to 127/64, so
// int8 per-tensor symmetric quantization (scale 1/64) stores them exactly.
Model SmallLstm() {
  testing::ModelBuilder b(13);
  b.Input("x", {-1, 2, 3}).Output("y").Output("y_h");
  std::vector<float> w(8 * 3), r(8 * 2);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(static_cast<int>(i * 37 % 255) - 127) / 64;
  for (size_t i = 0; i < r.size(); ++i) r[i] = static_cast<float>(static_cast<int>(i * 53 % 255) - 127) / 64;
  w[0] = 127.0f / 64;
  r[0] = 127.0f / 64;
  b.Initializer("W", {1, 8, 3}, w).Initializer("R", {1, 8, 2}, r);
  auto* node = b.Node("LSTM", {"x", "W", "R"}, {"y", "y_h"});
  auto* hidden = node->add_attribute();
  hidden->set_name("hidden_size");
  hidden->set_type(onnx::AttributeProto::INT);
  hidden->set_i(2);
  const std::string bytes = b.Bytes();
  return LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).value();
}

TEST(DynamicQuantizeLstmKernel, OneStepFromZeroStateEqualsTheFloatLstmExactly) {
  // x on the uint8 grid of its own range (multiples of 1/256 from 0 to 255/256): its quantization
  // is exact too, so every int32 product scales back to the float product.
  const Model float_model = SmallLstm();
  auto quantized = Quantize(float_model, Dynamic(false), {});
  ASSERT_TRUE(quantized.ok()) << quantized.status().message();
  std::vector<float> x = {0, 17, 255, 100, 3, 64};
  for (float& v : x) v /= 256;
  const Tensor input = Tensor::FromVector<float>({1, 2, 3}, x);
  auto expected = Session::Create(float_model)->Run({{"x", input}});
  auto got = Session::Create(quantized->model)->Run({{"x", input}});
  ASSERT_TRUE(expected.ok() && got.ok()) << got.status().message();
  const Tensor &e = expected->at("y_h"), &q = got->at("y_h");
  ASSERT_EQ(q.shape(), (Shape{1, 2, 2}));
  for (int64_t i = 0; i < e.size(); ++i) EXPECT_EQ(q.data<float>()[i], e.data<float>()[i]) << i;
}

TEST(DynamicQuantizeLstmKernel, LaterStepsQuantizeTheHiddenStateAndStayClose) {
  const Model float_model = SmallLstm();
  auto quantized = Quantize(float_model, Dynamic(true), {});
  ASSERT_TRUE(quantized.ok());
  std::vector<float> x(5 * 2 * 3);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i));
  const Tensor input = Tensor::FromVector<float>({5, 2, 3}, x);
  auto expected = Session::Create(float_model)->Run({{"x", input}});
  auto got = Session::Create(quantized->model)->Run({{"x", input}});
  ASSERT_TRUE(expected.ok() && got.ok());
  const Tensor &e = expected->at("y"), &q = got->at("y");
  ASSERT_EQ(q.shape(), (Shape{5, 1, 2, 2}));
  double largest = 0;
  for (int64_t i = 0; i < e.size(); ++i) largest = std::max(largest, std::abs(double(q.data<float>()[i]) - e.data<float>()[i]));
  EXPECT_GT(largest, 0.0) << "h is quantized after the first step";
  EXPECT_LT(largest, 0.05);
}

TEST(DynamicQuantizer, ConfigModeAndErrors) {
  auto c = QuantizationConfig::FromJson(R"({"mode": "dynamic", "extra_options": {"MatMulConstBOnly": false}})");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->mode, QuantMode::kDynamic);
  EXPECT_FALSE(c->matmul_const_b_only);
  EXPECT_EQ(QuantizationConfig::FromJson(c->ToJson())->ToJson(), c->ToJson());
  EXPECT_EQ(QuantizationConfig::FromJson(R"({"mode": "weights"})").status().message(), "mode 'weights' is not static, dynamic or weight_only");
}

// x [2, 5, 8] -> com.microsoft Attention (2 heads, `sizes` as qkv_hidden_sizes when given) -> y.
Model AttentionModel(std::vector<int64_t> sizes = {}) {
  testing::ModelBuilder b;
  b.Import("com.microsoft", 1);
  const int64_t columns = sizes.empty() ? 24 : sizes[0] + sizes[1] + sizes[2];
  b.Input("x", {2, 5, 8}).Output("y");
  std::vector<float> w(8 * columns), bias(columns);
  for (size_t i = 0; i < w.size(); ++i) w[i] = std::sin(static_cast<float>(i) * 1.3f) * 0.5f;
  for (size_t i = 0; i < bias.size(); ++i) bias[i] = std::cos(static_cast<float>(i)) * 0.1f;
  b.Initializer("w", {8, columns}, w).Initializer("bias", {columns}, bias);
  auto* node = b.Node("Attention", {"x", "w", "bias"}, {"y"}, "attention");
  node->set_domain("com.microsoft");
  auto* heads = node->add_attribute();
  heads->set_name("num_heads");
  heads->set_type(onnx::AttributeProto::INT);
  heads->set_i(2);
  if (!sizes.empty()) {
    auto* qkv = node->add_attribute();
    qkv->set_name("qkv_hidden_sizes");
    qkv->set_type(onnx::AttributeProto::INTS);
    for (int64_t v : sizes) qkv->add_ints(v);
  }
  std::string bytes = b.Bytes();
  return LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).value();
}

TEST(DynamicQuantizer, AttentionBecomesQAttentionWithReducedRangeWeights) {
  QuantizationConfig config;
  config.mode = QuantMode::kDynamic;
  const Model model = AttentionModel();
  auto q = Quantize(model, config, {});
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(OpCounts(q->model.graph), (std::map<std::string, int>{{"DynamicQuantizeLinear", 1}, {"QAttention", 1}}));
  for (const Node& n : q->model.graph.nodes)
    if (n.op_type == "QAttention") {
      const Tensor& w = q->model.graph.initializers.at(n.inputs[1]);
      int most = 0;
      for (int64_t i = 0; i < w.size(); ++i) most = std::max(most, std::abs(static_cast<int>(w.data<int8_t>()[i])));
      EXPECT_EQ(most, 64) << "reduce_range (-64..64), as ONNX Runtime stores attention weights";
    }
  Tensor x(DataType::kFloat, {2, 5, 8});
  for (int64_t i = 0; i < x.size(); ++i) x.data<float>()[i] = std::sin(static_cast<float>(i) * 0.7f);
  auto expected = Session::Create(model)->Run({{"x", x}});
  auto got = Session::Create(q->model)->Run({{"x", x}});
  ASSERT_TRUE(expected.ok() && got.ok()) << (got.ok() ? "" : got.status().message());
  for (int64_t i = 0; i < x.size(); ++i) EXPECT_NEAR(got->at("y").data<float>()[i], expected->at("y").data<float>()[i], 0.02) << i;

  // QAttention takes Q, K and V of one width only: a narrower V keeps the node float.
  auto narrow = Quantize(AttentionModel({8, 8, 4}), config, {});
  ASSERT_TRUE(narrow.ok()) << narrow.status().message();
  EXPECT_TRUE(narrow->quantized_nodes.empty());
}

// ids [2, 4] (int32) -> com.microsoft EmbedLayerNormalization (word, position, gamma, beta; a mask) -> y, mask_index.
Model EmbedModel() {
  testing::ModelBuilder b;
  b.Import("com.microsoft", 1);
  b.Input("ids", {2, 4}, onnx::TensorProto::INT32).Input("mask", {2, 4}, onnx::TensorProto::INT32).Output("y").Output("mask_index", {2},
                                                                                                                    onnx::TensorProto::INT32);
  std::vector<float> word(10 * 8), position(4 * 8), gamma(8), beta(8);
  for (size_t i = 0; i < word.size(); ++i) word[i] = std::sin(static_cast<float>(i) * 0.9f);
  for (size_t i = 0; i < position.size(); ++i) position[i] = std::cos(static_cast<float>(i) * 0.4f) * 0.3f;
  for (size_t i = 0; i < 8; ++i) gamma[i] = 1.0f + 0.1f * static_cast<float>(i), beta[i] = 0.05f * static_cast<float>(i);
  b.Initializer("word", {10, 8}, word).Initializer("position", {4, 8}, position).Initializer("gamma", {8}, gamma).Initializer("beta", {8}, beta);
  b.Node("EmbedLayerNormalization", {"ids", "", "word", "position", "", "gamma", "beta", "mask"}, {"y", "mask_index"}, "embed")
      ->set_domain("com.microsoft");
  std::string bytes = b.Bytes();
  return LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).value();
}

TEST(DynamicQuantizer, EmbedLayerNormalizationBecomesQEmbedLayerNormalization) {
  QuantizationConfig config;
  config.mode = QuantMode::kDynamic;
  const Model model = EmbedModel();
  auto q = Quantize(model, config, {});
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(OpCounts(q->model.graph), (std::map<std::string, int>{{"QEmbedLayerNormalization", 1}}));
  const TensorMap feeds = {{"ids", Tensor::FromVector<int32_t>({2, 4}, {1, 5, 9, 0, 3, 3, 7, 2})},
                           {"mask", Tensor::FromVector<int32_t>({2, 4}, {1, 1, 1, 1, 1, 1, 0, 0})}};
  auto expected = Session::Create(model)->Run(feeds);
  auto got = Session::Create(q->model)->Run(feeds);
  ASSERT_TRUE(expected.ok() && got.ok()) << (got.ok() ? "" : got.status().message());
  EXPECT_EQ(std::vector<int32_t>(got->at("mask_index").data<int32_t>(), got->at("mask_index").data<int32_t>() + 2), (std::vector<int32_t>{4, 2}));
  for (int64_t i = 0; i < expected->at("y").size(); ++i)
    EXPECT_NEAR(got->at("y").data<float>()[i], expected->at("y").data<float>()[i], 0.05) << i;

  TensorMap hostile = feeds;
  hostile["ids"] = Tensor::FromVector<int32_t>({2, 4}, {1, 5, 9, 10, 3, 3, 7, 2});
  EXPECT_EQ(Session::Create(model)->Run(hostile).status().message(),
            "node 'embed' (com.microsoft.EmbedLayerNormalization): input_ids 10 at token 3 is out of range for 10 rows");
}

}  // namespace
}  // namespace qplay
