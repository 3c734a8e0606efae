// ONNX Runtime's com.microsoft integer ops, which ONNX's conformance data does not cover:
// hand-computed cases including round-half-to-even, saturation and per-column scales.
// (Their agreement with onnxruntime itself is checked on whole models in wasm-tests.)
#include <gtest/gtest.h>

#include "kernels/registry.h"

namespace qplay {
namespace {

template <typename T>
Tensor Q(Shape shape, std::vector<T> values) { return Tensor::FromVector<T>(std::move(shape), values); }
Tensor F(float v) { return Tensor::Scalar<float>(v); }
Tensor U8(uint8_t v) { return Tensor::Scalar<uint8_t>(v); }
Tensor I8(int8_t v) { return Tensor::Scalar<int8_t>(v); }

// Runs com.microsoft `op` on `inputs` (an empty tensor marks an omitted input).
Tensor RunContrib(const std::string& op, const std::vector<Tensor>& inputs, std::map<std::string, Attribute> attributes = {}) {
  Node node;
  node.op_type = op;
  node.domain = "com.microsoft";
  node.inputs.resize(inputs.size(), "x");
  node.outputs = {"y"};
  node.attributes = std::move(attributes);
  std::vector<const Tensor*> pointers;
  for (const Tensor& t : inputs) pointers.push_back(t.empty() ? nullptr : &t);
  KernelContext ctx(node, 1, pointers, nullptr);
  KernelFn kernel = KernelRegistry::Get().Find("com.microsoft", op);
  EXPECT_NE(kernel, nullptr) << op;
  Status status = kernel(ctx);
  EXPECT_TRUE(status.ok()) << op << ": " << status.message();
  return ctx.outputs()[0];
}

template <typename T>
std::vector<int> Values(const Tensor& t) {
  EXPECT_EQ(t.dtype(), DataTypeOf<T>::value);
  return std::vector<int>(t.data<T>(), t.data<T>() + t.size());
}

TEST(QLinearContrib, AddSaturates) {
  // A = [-10, 0, 10, 15.5], B = [0, 0.5, -1, 6.35]; C at scale 0.1, zero point 100.
  Tensor y = RunContrib("QLinearAdd", {Q<uint8_t>({4}, {0, 100, 200, 255}), F(0.1f), U8(100), Q<uint8_t>({4}, {128, 138, 108, 255}),
                                F(0.05f), U8(128), F(0.1f), U8(100)});
  EXPECT_EQ(Values<uint8_t>(y), (std::vector<int>{0, 105, 190, 255}));
}

TEST(QLinearContrib, MulRoundsHalfToEven) {
  Tensor y = RunContrib("QLinearMul", {Q<int8_t>({3}, {3, -3, 5}), F(0.5f), I8(0), Q<int8_t>({3}, {1, 1, 1}), F(1.0f), I8(0), F(1.0f), I8(0)});
  EXPECT_EQ(Values<int8_t>(y), (std::vector<int>{2, -2, 2}));  // 1.5, -1.5, 2.5
}

TEST(QLinearContrib, SigmoidAndLeakyRelu) {
  Tensor s = RunContrib("QLinearSigmoid", {Q<uint8_t>({3}, {0, 128, 255}), F(0.0625f), U8(128), F(1.0f / 256), U8(0)});
  EXPECT_EQ(Values<uint8_t>(s), (std::vector<int>{0, 128, 255}));
  Tensor l = RunContrib("QLinearLeakyRelu", {Q<int8_t>({3}, {-100, 0, 50}), F(0.1f), I8(0), F(0.05f), I8(10)}, {{"alpha", Attribute::Float(0.1f)}});
  EXPECT_EQ(Values<int8_t>(l), (std::vector<int>{-10, 10, 110}));  // -1, 0, 5
}

TEST(QLinearContrib, SoftmaxFollowsTheOpsetAttribute) {
  Tensor y = RunContrib("QLinearSoftmax", {Q<uint8_t>({2, 4}, {10, 10, 10, 10, 0, 0, 0, 255}), F(0.1f), U8(0), F(1.0f / 256), U8(0)},
                 {{"opset", Attribute::Int(13)}});
  EXPECT_EQ(Values<uint8_t>(y), (std::vector<int>{64, 64, 64, 64, 0, 0, 0, 255}));
}

TEST(QLinearContrib, Pooling) {
  // Channel means 0.75 and 12.125 at output scale 0.25: 3 and 48.5, which rounds to 48.
  Tensor g = RunContrib("QLinearGlobalAveragePool",
                 {Q<uint8_t>({1, 2, 2, 2}, {1, 2, 3, 4, 10, 20, 30, 41}), F(0.5f), U8(1), F(0.25f), U8(0)});
  EXPECT_EQ(g.shape(), (Shape{1, 2, 1, 1}));
  EXPECT_EQ(Values<uint8_t>(g), (std::vector<int>{3, 48}));
  Tensor a = RunContrib("QLinearAveragePool", {Q<uint8_t>({1, 1, 2, 3}, {0, 4, 8, 12, 16, 20}), F(1.0f), U8(0), F(2.0f), U8(0)},
                 {{"kernel_shape", Attribute::Ints({2, 2})}});
  EXPECT_EQ(Values<uint8_t>(a), (std::vector<int>{4, 6}));
}

TEST(QLinearContrib, ConcatRequantizesEachInput) {
  Tensor y = RunContrib("QLinearConcat", {F(0.5f), U8(0), Q<uint8_t>({1, 1}, {2}), F(1.0f), U8(0), Q<uint8_t>({1, 1}, {10}), F(0.25f), U8(2)},
                 {{"axis", Attribute::Int(1)}});
  EXPECT_EQ(y.shape(), (Shape{1, 2}));
  EXPECT_EQ(Values<uint8_t>(y), (std::vector<int>{4, 4}));
}

TEST(QLinearContrib, WhereRequantizesTheSelectedOperandAndBroadcasts) {
  // X = [1, 2] at scale 1; Y = 0.75 at scale 0.25; Z at scale 0.5: X -> 2, 4 and Y -> 1.5, which rounds to 2.
  Tensor condition = Tensor::FromVector<bool>({2, 1}, {true, false});
  Tensor z = RunContrib("QLinearWhere", {condition, Q<uint8_t>({2}, {1, 2}), F(1.0f), U8(0), Q<uint8_t>({}, {3}), F(0.25f), U8(0),
                                         F(0.5f), U8(0)});
  EXPECT_EQ(z.shape(), (Shape{2, 2}));
  EXPECT_EQ(Values<uint8_t>(z), (std::vector<int>{2, 4, 2, 2}));
}

TEST(QLinearContrib, QGemmPerColumnWithBiasFloatAndQuantizedOutput) {
  // A = [1, -1]; B = [[1, 1], [3, 2]] (per-column scales 0.5, 0.25); C = [1, 1] at scale 0.25, 0.125.
  const std::vector<Tensor> operands = {Q<uint8_t>({1, 2}, {130, 126}), F(0.5f), U8(128),
                                        Q<int8_t>({2, 2}, {2, 4, 6, 8}), Q<float>({2}, {0.5f, 0.25f}), Q<int8_t>({2}, {0, 0}),
                                        Q<int32_t>({2}, {4, 8})};
  Tensor real = RunContrib("QGemm", operands);
  ASSERT_EQ(real.dtype(), DataType::kFloat);
  EXPECT_EQ(std::vector<float>(real.data<float>(), real.data<float>() + 2), (std::vector<float>{-1.0f, 0.0f}));

  std::vector<Tensor> quantized = operands;
  quantized.push_back(F(0.5f));
  quantized.push_back(U8(10));
  EXPECT_EQ(Values<uint8_t>(RunContrib("QGemm", quantized)), (std::vector<int>{8, 10}));

  std::vector<Tensor> transposed = quantized;
  transposed[3] = Q<int8_t>({2, 2}, {2, 6, 4, 8});
  EXPECT_EQ(Values<uint8_t>(RunContrib("QGemm", transposed, {{"transB", Attribute::Int(1)}})), (std::vector<int>{8, 10}));
}

}  // namespace
}  // namespace qplay
