// StaticQuantizer on the bundled CNN: a QDQ model that keeps accuracy, stores int8 weights
// and int32 biases, honours exclusions, and survives export; the QOperator format.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "onnx/model.h"
#include "analysis/metrics.h"
#include "quant/backend.h"
#include "quant/static_quantizer.h"
#include "runtime/session.h"
#include "test_data.h"
#include "test_paths.h"

namespace qplay {
namespace {

Tensor Npy(const std::string& relative, int64_t limit) { return testing::LoadSourceNpy(relative, limit); }

ClassificationMetrics Compare(const Model& reference, const Model& quantized, int64_t samples) {
  Tensor x = Npy("examples/data/evaluation_images.npy", samples), labels = Npy("examples/data/evaluation_labels.npy", samples);
  auto a = Session::Create(reference)->Run({{"input", x}});
  auto b = Session::Create(quantized)->Run({{"input", x}});
  EXPECT_TRUE(a.ok() && b.ok()) << (b.ok() ? a.status().message() : b.status().message());
  ClassificationMetrics m;
  EXPECT_TRUE(AddClassificationBatch(m, a->at("logits"), b->at("logits"), &labels).ok());
  return m;
}

class StaticQuantizerCnn : public ::testing::Test {
 protected:
  void SetUp() override { model_ = LoadModelFile(testing::SourcePath("examples/models/cnn.onnx")).value(); }
  Result<QuantizationResult> Quantize(QuantizationConfig config) {
    config.calibration_limit = 50;
    return QuantizeStatic(model_, config, {{"input", Npy("examples/data/calibration_images.npy", 200)}});
  }
  Model model_;
};

TEST_F(StaticQuantizerCnn, PerChannelQdqKeepsAccuracy) {
  QuantizationConfig config;
  config.per_channel = true;
  auto result = Quantize(config);
  ASSERT_TRUE(result.ok()) << result.status().message();
  const Graph& g = result->model.graph;
  int q = 0, dq = 0, bn = 0;
  for (const Node& n : g.nodes) q += n.op_type == "QuantizeLinear", dq += n.op_type == "DequantizeLinear", bn += n.op_type == "BatchNormalization";
  EXPECT_GT(q, 3);
  EXPECT_GT(dq, q);
  EXPECT_EQ(bn, 0);
  int int8_weights = 0, int32_biases = 0;
  for (const auto& [name, t] : g.initializers) int8_weights += t.dtype() == DataType::kInt8 && t.rank() > 1, int32_biases += t.dtype() == DataType::kInt32;
  EXPECT_EQ(int8_weights, 5);  // 4 Conv + 1 Gemm
  EXPECT_EQ(int32_biases, 5);
  ClassificationMetrics m = Compare(model_, result->model, 300);
  EXPECT_GE(m.test_accuracy(), m.reference_accuracy() - 0.01);
  EXPECT_GE(m.agreement(), 0.97);

  auto bytes = ExportModel(result->model);
  ASSERT_TRUE(bytes.ok());
  auto reloaded = LoadModel(bytes->data(), bytes->size());
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().message();
  EXPECT_EQ(Compare(result->model, *reloaded, 50).agreement(), 1.0);
}

TEST_F(StaticQuantizerCnn, SelectionsMatchingNothingAreWarned) {
  QuantizationConfig config;
  config.nodes_to_exclude = {model_.graph.nodes[0].name, "no_such_node"};
  config.op_types_to_quantize = {"Conv", "Convolution"};
  auto result = Quantize(config);
  ASSERT_TRUE(result.ok()) << result.status().message();
  std::vector<std::string> warnings;
  for (const auto& note : result->notes)
    if (note.kind == QuantizationNote::Kind::kWarning) warnings.push_back(note.message);
  EXPECT_EQ(warnings, (std::vector<std::string>{"nodes_to_exclude names 'no_such_node', which is no node of the model",
                                                "op_types_to_quantize names 'Convolution', which no node of the model is"}));
}

TEST_F(StaticQuantizerCnn, ExcludedNodesStayFloat) {
  QuantizationConfig config;
  const std::string first_conv = model_.graph.nodes[0].name;
  config.nodes_to_exclude = {first_conv};
  auto result = Quantize(config);
  ASSERT_TRUE(result.ok()) << result.status().message();
  for (const Node& n : result->model.graph.nodes)
    if (n.name == first_conv) {
      ASSERT_TRUE(result->model.graph.IsInitializer(n.inputs[1]));
      EXPECT_EQ(result->model.graph.initializers.at(n.inputs[1]).dtype(), DataType::kFloat);
    }
  const auto& nodes = result->quantized_nodes;
  EXPECT_EQ(std::count(nodes.begin(), nodes.end(), first_conv), 0);
}

// Q/DQ nodes of a quantized model by domain ("" for ai.onnx), and the element types of its quantized weights.
std::map<std::string, int> QdqDomains(const Model& model) {
  std::map<std::string, int> domains;
  for (const Node& n : model.graph.nodes)
    if (n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear") ++domains[n.domain];
  return domains;
}

TEST_F(StaticQuantizerCnn, Int16ActivationsUpgradeToOpset21OrUseContribQdq) {
  QuantizationConfig config;
  config.activation_type = DataType::kInt16;
  config.per_channel = true;
  auto upgraded = Quantize(config);
  ASSERT_TRUE(upgraded.ok()) << upgraded.status().message();
  EXPECT_EQ(upgraded->model.DefaultOpset(), 21);
  EXPECT_EQ(QdqDomains(upgraded->model).count("com.microsoft"), 0u);
  EXPECT_GT(QdqDomains(upgraded->model)[""], 10);
  EXPECT_EQ(upgraded->passes.front().changes.front().rfind("ai.onnx opset 13 -> 21", 0), 0u) << upgraded->passes.front().changes.front();
  EXPECT_GE(Compare(model_, upgraded->model, 200).agreement(), 0.99);

  // Kept at its opset, the model gets ONNX Runtime's com.microsoft Q/DQ, as its quantizer writes them.
  config.upgrade_opset = false;
  auto contrib = Quantize(config);
  ASSERT_TRUE(contrib.ok()) << contrib.status().message();
  EXPECT_EQ(contrib->model.DefaultOpset(), 13);
  EXPECT_GT(QdqDomains(contrib->model)["com.microsoft"], 10);
  EXPECT_EQ(contrib->model.opsets.at("com.microsoft"), 1);
  EXPECT_GE(Compare(model_, contrib->model, 200).agreement(), 0.99);
}

TEST_F(StaticQuantizerCnn, Int4WeightsNeedOpset21) {
  QuantizationConfig config;
  config.weight_type = DataType::kInt4;
  config.per_channel = true;
  auto result = Quantize(config);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->model.DefaultOpset(), 21);
  int int4_weights = 0;
  for (const auto& [name, t] : result->model.graph.initializers) int4_weights += t.dtype() == DataType::kInt4;
  EXPECT_GE(int4_weights, 2);
  EXPECT_GE(Compare(model_, result->model, 200).agreement(), 0.9);

  config.upgrade_opset = false;
  EXPECT_EQ(Quantize(config).status().message(),
            "this recipe needs ai.onnx opset 21; the model imports opset 13 (upgrade_opset is off)");
}

TEST_F(StaticQuantizerCnn, TensorOverridesReplaceCalibration) {
  QuantizationConfig config;
  config.tensor_overrides["input"].scale = 0.25f;
  config.tensor_overrides["input"].zero_point = 4;
  auto result = Quantize(config);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->activations.at("input").scale, 0.25f);
  EXPECT_EQ(result->activations.at("input").zero_point, 4);

  QuantizationConfig unknown;
  unknown.tensor_overrides["no_such_tensor"].rmin = 0.0f;
  unknown.tensor_overrides["no_such_tensor"].rmax = 1.0f;
  EXPECT_EQ(Quantize(unknown).status().message(),
            "TensorQuantOverrides names 'no_such_tensor', which is neither a quantized activation nor a quantized weight");
}

// The DequantizeLinear that reads initializer `quantized_prefix`* and the initializers it reads.
const Node* DequantizerOf(const Graph& g, const std::string& weight) {
  for (const Node& n : g.nodes)
    if (n.op_type == "DequantizeLinear" && n.inputs[0].rfind(weight + "_quantized", 0) == 0) return &n;
  return nullptr;
}

TEST_F(StaticQuantizerCnn, TensorOverridesSetTypeSymmetryAndWeightAxis) {
  QuantizationConfig config;  // per tensor, uint8 activations, int8 symmetric weights
  config.tensor_overrides["input"].quant_type = DataType::kInt16;
  config.tensor_overrides["stem.0.weight"].quant_type = DataType::kUint8;
  config.tensor_overrides["stem.0.weight"].symmetric = false;
  config.tensor_overrides["fc.weight"].axis = 0;
  auto result = Quantize(config);
  ASSERT_TRUE(result.ok()) << result.status().message();
  const Graph& g = result->model.graph;
  int int16_q = 0, uint8_q = 0;
  for (const Node& n : g.nodes)
    if (n.op_type == "QuantizeLinear") {
      const DataType zp = g.initializers.at(n.inputs[2]).dtype();
      int16_q += zp == DataType::kInt16 && n.domain == "com.microsoft" && n.inputs[0] == "input";
      uint8_q += zp == DataType::kUint8 && n.domain.empty();
    }
  EXPECT_EQ(int16_q, 1);
  EXPECT_GT(uint8_q, 3);
  const Node* stem = DequantizerOf(g, "stem.0.weight");
  ASSERT_NE(stem, nullptr);
  EXPECT_EQ(g.initializers.at(stem->inputs[0]).dtype(), DataType::kUint8);
  EXPECT_NE(g.initializers.at(stem->inputs[2]).data<uint8_t>()[0], 127);  // asymmetric
  const Node* fc = DequantizerOf(g, "fc.weight");
  ASSERT_NE(fc, nullptr);
  EXPECT_EQ(g.initializers.at(fc->inputs[1]).size(), 10);
  EXPECT_EQ(fc->GetInt("axis", 1), 0);
  EXPECT_GE(Compare(model_, result->model, 200).agreement(), 0.95);  // per-tensor weights elsewhere

  auto message = [&](const std::string& name, TensorOverride o) {
    QuantizationConfig c;
    c.tensor_overrides[name] = o;
    return Quantize(c).status().message();
  };
  TensorOverride axis5;
  axis5.axis = 5;
  EXPECT_EQ(message("fc.weight", axis5), "TensorQuantOverrides for weight 'fc.weight': axis 5 is out of range for its shape [10, 96]");
  EXPECT_EQ(message("input", axis5), "TensorQuantOverrides for 'input': axis applies to weights, and 'input' is an activation");
  TensorOverride int16;
  int16.quant_type = DataType::kInt16;
  EXPECT_EQ(message("fc.weight", int16), "TensorQuantOverrides for weight 'fc.weight': weights are stored as int8, uint8, int4 or uint4, not int16");
}

// Op histogram of a graph, contrib ops as "com.microsoft.Op".
std::map<std::string, int> OpCounts(const Graph& g) {
  std::map<std::string, int> counts;
  for (const Node& n : g.nodes) ++counts[(n.domain.empty() ? "" : n.domain + ".") + n.op_type];
  return counts;
}

TEST_F(StaticQuantizerCnn, QOperatorFormatIsOneIntegerOperatorPerGroup) {
  QuantizationConfig config = FindBackend("onnxruntime-qoperator").value().Defaults();
  config.per_channel = true;
  auto qop = Quantize(config);
  ASSERT_TRUE(qop.ok()) << qop.status().message();
  EXPECT_EQ(OpCounts(qop->model.graph),
            (std::map<std::string, int>{{"QuantizeLinear", 1}, {"QLinearConv", 4}, {"MaxPool", 2}, {"Flatten", 1},
                                        {"com.microsoft.QLinearAdd", 1}, {"com.microsoft.QLinearGlobalAveragePool", 1},
                                        {"com.microsoft.QGemm", 1}}));
  EXPECT_EQ(qop->model.opsets.at("com.microsoft"), 1);
  for (const Node& n : qop->model.graph.nodes)
    if (n.op_type == "MaxPool") EXPECT_EQ(qop->model.graph.TypeOf(n.inputs[0])->dtype, DataType::kUint8);

  // The same recipe in QDQ runs through the same integer operators: identical logits.
  config.format = QuantFormat::kQdq;
  auto qdq = Quantize(config);
  ASSERT_TRUE(qdq.ok()) << qdq.status().message();
  Tensor x = Npy("examples/data/evaluation_images.npy", 100);
  auto from_qop = Session::Create(qop->model)->Run({{"input", x}});
  auto from_qdq = Session::Create(qdq->model)->Run({{"input", x}});
  ASSERT_TRUE(from_qop.ok() && from_qdq.ok());
  const Tensor &a = from_qop->at("logits"), &b = from_qdq->at("logits");
  EXPECT_EQ(std::memcmp(a.data<float>(), b.data<float>(), a.size() * sizeof(float)), 0);

  auto bytes = ExportModel(qop->model);
  ASSERT_TRUE(bytes.ok());
  auto reloaded = LoadModel(bytes->data(), bytes->size());
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().message();
  EXPECT_EQ(Compare(qop->model, *reloaded, 50).agreement(), 1.0);
}

TEST_F(StaticQuantizerCnn, FloatSimulationOfQdqStaysAvailableAsTheOracle) {
  QuantizationConfig config;
  config.per_channel = true;
  auto qdq = Quantize(config);
  ASSERT_TRUE(qdq.ok()) << qdq.status().message();
  Tensor x = Npy("examples/data/evaluation_images.npy", 100);
  SessionOptions simulate;
  simulate.qdq = QdqExecution::kFloatSimulation;
  auto integer = Session::Create(qdq->model)->Run({{"input", x}});
  auto simulated = Session::Create(qdq->model, simulate)->Run({{"input", x}});
  ASSERT_TRUE(integer.ok() && simulated.ok());
  const Tensor &a = integer->at("logits"), &b = simulated->at("logits");
  float max_error = 0;
  for (int64_t i = 0; i < a.size(); ++i) max_error = std::max(max_error, std::abs(a.data<float>()[i] - b.data<float>()[i]));
  EXPECT_LT(max_error, 0.5f);  // rounding ties land differently in a few intermediate tensors
  ClassificationMetrics m;
  ASSERT_TRUE(AddClassificationBatch(m, a, b, nullptr).ok());
  EXPECT_GE(m.agreement(), 0.99);
}

TEST(StaticQuantizer, ConvTransposeWeightsPerOutputChannelUnlessGrouped) {
  Model model = LoadModelFile(testing::SourcePath("tests/models/decoder.onnx")).value();
  QuantizationConfig config;
  config.per_channel = true;
  config.calibration_limit = 20;
  auto result = QuantizeStatic(model, config, {{"input", Npy("examples/data/calibration_images.npy", 20)}});
  ASSERT_TRUE(result.ok()) << result.status().message();
  const Graph& g = result->model.graph;
  std::vector<int64_t> weight_scales, bias_scales;
  for (const Node& n : g.nodes) {
    if (n.op_type != "ConvTranspose") continue;
    for (const Node& dq : g.nodes)
      if (dq.op_type == "DequantizeLinear" && dq.outputs[0] == n.inputs[1]) {
        weight_scales.push_back(g.initializers.at(dq.inputs[1]).size());
        if (g.initializers.at(dq.inputs[1]).size() > 1) EXPECT_EQ(dq.GetInt("axis", 0), 1);
      } else if (dq.op_type == "DequantizeLinear" && dq.outputs[0] == n.inputs[2]) {
        bias_scales.push_back(g.initializers.at(dq.inputs[1]).size());
      }
  }
  EXPECT_EQ(weight_scales, (std::vector<int64_t>{8, 1}));  // [8, 8, 2, 2] per channel; grouped [16, 4, 3, 3] per tensor
  EXPECT_EQ(bias_scales, (std::vector<int64_t>{8, 1}));
  EXPECT_GE(Compare(model, result->model, 100).agreement(), 0.97);
}

TEST_F(StaticQuantizerCnn, ErrorsAreNamed) {
  QuantizationConfig qoperator;
  qoperator.format = QuantFormat::kQOperator;
  qoperator.activation_type = DataType::kInt16;
  EXPECT_EQ(Quantize(qoperator).status().message(), "the QOperator format needs 8-bit activations, got int16");
  auto empty = QuantizeStatic(model_, QuantizationConfig{}, {{"input", Tensor(DataType::kFloat, {0, 1, 28, 28})}});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "calibration: the set is empty");
}

}  // namespace
}  // namespace qplay

namespace qplay {
namespace {

// The acceptance bar: on the bundled CNN with per-channel weights, the best of these methods
// loses at most 0.5 points against float on the 1000 evaluation images, and no more than
// PyTorch's own PTQ (examples/models/reference_quantization.json). bench/ptq-accuracy.mjs
// prints every method beside PyTorch's numbers.
TEST(StaticQuantizerAcceptance, BundledCnnKeepsAccuracyLikePyTorch) {
  Model model = LoadModelFile(testing::SourcePath("examples/models/cnn.onnx")).value();
  std::ifstream reference_file(testing::SourcePath("examples/models/reference_quantization.json"));
  const auto reference = nlohmann::json::parse(reference_file)["cnn"];
  double pytorch_loss = 1;
  for (const auto& [engine, r] : reference["engines"].items())
    pytorch_loss = std::min(pytorch_loss, reference["float"].get<double>() - r["static"].get<double>());
  double best = 0, float_accuracy = 0;
  for (auto method : {CalibrationMethod::kPercentile, CalibrationMethod::kMovingAverage}) {
    QuantizationConfig config;
    config.per_channel = true;
    config.calibrate_method = method;
    auto result = QuantizeStatic(model, config, {{"input", Npy("examples/data/calibration_images.npy", 200)}});
    ASSERT_TRUE(result.ok()) << result.status().message();
    ClassificationMetrics m = Compare(model, result->model, 1000);
    best = std::max(best, m.test_accuracy());
    float_accuracy = m.reference_accuracy();
  }
  EXPECT_GE(best, float_accuracy - 0.005);
  EXPECT_GE(best, float_accuracy - pytorch_loss - 1e-9);
}

}  // namespace
}  // namespace qplay
