// Every kernel in the registry is checked against expected numbers: by ONNX's conformance
// tests where ONNX 1.12 has one, otherwise by a unit test in this file.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "onnx/model.h"
#include "kernels/registry.h"
#include "model_builder.h"
#include "runtime/session.h"
#include "test_paths.h"
#include "tools/conformance.h"

namespace qplay {
namespace {

// Kernels without a passing ONNX 1.12 conformance test, each with a unit test that covers it:
// Gelu and LpPool below; GroupNormalization in group_norm_test.cpp; ONNX Runtime's contrib Q/DQ in StaticQuantizerCnn.Int16ActivationsUseContribQdq;
// its QLinear ops and QGemm in qlinear_contrib_test.cpp; MatMulNBits in weight_only_test.cpp;
// GatherBlockQuantized in embedding_tables_test.cpp; Attention, MultiHeadAttention and
// RotaryEmbedding against onnxruntime-node in wasm-tests/wasm/zoo-coverage.test.mjs
// (attention_*, mha_*, rotary_embedding_*), QAttention in dynamic_quantizer_test.cpp
// and against onnxruntime-node in wasm-tests/wasm/zoo-quantize.test.mjs; EmbedLayerNormalization
// and QEmbedLayerNormalization in dynamic_quantizer_test.cpp and against onnxruntime-node in the
// same two files (bert_embedding_attention_op13);
// DynamicQuantizeLSTM in dynamic_quantizer_test.cpp; the com.microsoft Gelu forms, FusedMatMul and
// layer norms against onnxruntime-node's own kernels in wasm-tests/wasm/contrib-ops.test.mjs; Mish
// (opset 18) against onnxruntime-node in wasm-tests/wasm/zoo-coverage.test.mjs (mish_op18).
const std::set<std::string> kCoveredByUnitTests = {
    "Gelu", "LpPool", "GroupNormalization", "com.microsoft.QuantizeLinear", "com.microsoft.DequantizeLinear", "com.microsoft.QGemm",
    "com.microsoft.QLinearAdd", "com.microsoft.QLinearMul", "com.microsoft.QLinearSigmoid", "com.microsoft.QLinearLeakyRelu",
    "com.microsoft.QLinearSoftmax", "com.microsoft.QLinearAveragePool", "com.microsoft.QLinearGlobalAveragePool",
    "com.microsoft.QLinearConcat", "com.microsoft.QLinearWhere", "com.microsoft.MatMulNBits", "com.microsoft.GatherBlockQuantized", "com.microsoft.Attention", "com.microsoft.QAttention",
    "com.microsoft.MultiHeadAttention", "com.microsoft.RotaryEmbedding",
    "com.microsoft.EmbedLayerNormalization", "com.microsoft.QEmbedLayerNormalization", "com.microsoft.DynamicQuantizeLSTM", "com.microsoft.Gelu", "com.microsoft.FastGelu",
    "com.microsoft.BiasGelu", "com.microsoft.QuickGelu", "com.microsoft.FusedMatMul", "com.microsoft.SkipLayerNormalization",
    "SimplifiedLayerNormalization", "com.microsoft.SkipSimplifiedLayerNormalization", "Mish", "com.microsoft.FusedConv",
    "com.microsoft.MatMulIntegerToFloat"};

TEST(KernelCoverage, EveryRegisteredKernelHasAPassingTest) {
  std::set<std::string> exercised;
  ConformanceReport report = RunConformance({testing::kTestData});
  for (const auto& c : report.cases) {
    if (c.outcome != "passed") continue;
    auto model = LoadModelFile(testing::kTestData + "/" + c.name.substr(c.name.find('/') + 1) + "/model.onnx");
    ASSERT_TRUE(model.ok()) << c.name;
    std::function<void(const Graph&)> collect = [&](const Graph& g) {
      for (const Node& n : g.nodes) {
        exercised.insert(n.op_type);
        for (const auto& [_, a] : n.attributes)
          if (a.g) collect(*a.g);
      }
    };
    collect(model->graph);
  }
  for (const std::string& op : KernelRegistry::Get().OpTypes())
    EXPECT_TRUE(exercised.count(op) || kCoveredByUnitTests.count(op)) << op << " has no passing test";
}

float RunUnary(const std::string& op, float x, std::function<void(onnx::NodeProto*)> configure = {}, int64_t opset = 17) {
  testing::ModelBuilder b(opset);
  b.Input("x", {1}).Output("y");
  auto* node = b.Node(op, {"x"}, {"y"});
  if (configure) configure(node);
  std::string bytes = b.Bytes();
  auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  auto session = Session::Create(*model);
  EXPECT_TRUE(session.ok()) << session.status().message();
  auto out = session->Run({{"x", Tensor::FromVector<float>({1}, {x})}});
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out->at("y").data<float>()[0];
}

TEST(Kernels, GeluExactAndTanhApproximation) {
  for (float x : {-3.0f, -0.5f, 0.0f, 0.7f, 2.5f}) {
    EXPECT_NEAR(RunUnary("Gelu", x, {}, 20), 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))), 1e-6) << x;
    const double t = 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
    EXPECT_NEAR(RunUnary("Gelu", x, [](onnx::NodeProto* n) {
                  auto* a = n->add_attribute();
                  a->set_name("approximate");
                  a->set_type(onnx::AttributeProto::STRING);
                  a->set_s("tanh");
                }, 20), t, 1e-6) << x;
  }
}

TEST(Kernels, LpPoolIsThePNormOfEachWindow) {
  testing::ModelBuilder b(13);
  b.Input("x", {1, 1, 2, 3}).Output("y");
  auto* node = b.Node("LpPool", {"x"}, {"y"});
  auto* kernel = node->add_attribute();
  kernel->set_name("kernel_shape");
  kernel->set_type(onnx::AttributeProto::INTS);
  kernel->add_ints(2);
  kernel->add_ints(2);
  auto* p = node->add_attribute();
  p->set_name("p");
  p->set_type(onnx::AttributeProto::INT);
  p->set_i(3);
  std::string bytes = b.Bytes();
  auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  auto out = Session::Create(*model)->Run({{"x", Tensor::FromVector<float>({1, 1, 2, 3}, {1, -2, 3, 4, 5, -6})}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  const Tensor& y = out->at("y");
  ASSERT_EQ(y.shape(), (Shape{1, 1, 1, 2}));
  EXPECT_NEAR(y.data<float>()[0], std::cbrt(1 + 8 + 64 + 125), 1e-5);
  EXPECT_NEAR(y.data<float>()[1], std::cbrt(8 + 27 + 125 + 216), 1e-5);
}

TEST(Kernels, QuantizeLinearRoundsHalfToEvenAndSaturates) {
  // ONNX Runtime's convention: round(x / scale) half to even, then add the zero point and clamp.
  testing::ModelBuilder b(13);
  b.Input("x", {6}).Output("y", {6}, onnx::TensorProto::UINT8);
  b.Initializer("scale", {}, {0.5f});
  auto* zp = b.graph()->add_initializer();
  zp->set_name("zp");
  zp->set_data_type(onnx::TensorProto::UINT8);
  zp->add_int32_data(10);
  b.Node("QuantizeLinear", {"x", "scale", "zp"}, {"y"});
  std::string bytes = b.Bytes();
  auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  auto out = Session::Create(*model)->Run({{"x", Tensor::FromVector<float>({6}, {0.25f, 0.75f, 1.25f, -0.25f, 500.0f, -500.0f})}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  const uint8_t* y = out->at("y").data<uint8_t>();
  // 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -0.5 -> 0 (half to even), then +10; saturation at 255 and 0.
  EXPECT_EQ(std::vector<int>(y, y + 6), (std::vector<int>{10, 12, 12, 10, 255, 0}));
}

}  // namespace
}  // namespace qplay
