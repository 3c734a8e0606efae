// Every fast kernel against the reference kernel of the same op: integer outputs bit for bit,
// float outputs within 1e-5 relative, over shapes below, at and above the SIMD block sizes,
// odd sizes, strides, pads, dilations, groups, zero points at the extremes, saturation and
// per-channel scales. Constant weights also go through the per-session cache.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "kernels/registry.h"
#include "kernels/simd/relaxed_dot_mode.h"

namespace qplay {
namespace {

struct Case {
  std::string op, domain;
  std::vector<Tensor> inputs;  // an empty tensor marks an omitted input
  std::map<std::string, Attribute> attributes;
  int64_t opset = 13;
  size_t outputs = 1;
};

// Runs the case with the given kernel variant; with a cache, twice (the second run uses
// what the first packed). Returns every output.
std::vector<Tensor> RunOutputs(const Case& c, KernelVariant variant, bool cached) {
  Node node;
  node.op_type = c.op;
  node.domain = c.domain;
  node.inputs.resize(c.inputs.size(), "x");
  for (size_t i = 0; i < c.outputs; ++i) node.outputs.push_back("y" + std::to_string(i));
  node.attributes = c.attributes;
  std::vector<const Tensor*> inputs;
  std::vector<bool> constant;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    inputs.push_back(c.inputs[i].empty() ? nullptr : &c.inputs[i]);
    constant.push_back(i > 0);  // every input but the data is a constant, as weights are
  }
  while (!inputs.empty() && !inputs.back()) inputs.pop_back();
  KernelCache cache;
  KernelFn kernel = KernelRegistry::Get().Find(c.domain, c.op, variant);
  std::vector<Tensor> outputs;
  for (int run = 0; run < (cached ? 2 : 1); ++run) {
    KernelContext ctx(node, c.opset, inputs, nullptr, cached ? &cache : nullptr, &constant);
    Status status = kernel(ctx);
    EXPECT_TRUE(status.ok()) << c.op << ": " << status.message();
    outputs = ctx.outputs();
  }
  return outputs;
}

Tensor RunVariant(const Case& c, KernelVariant variant, bool cached) { return RunOutputs(c, variant, cached)[0]; }

void ExpectFastMatchesReference(const Case& c, const std::string& what) {
  const std::vector<Tensor> all_expected = RunOutputs(c, KernelVariant::kReference, false);
  for (bool cached : {false, true})
    for (size_t o = 0; o < c.outputs; ++o) {
      const Tensor& expected = all_expected[o];
      const Tensor got = RunOutputs(c, KernelVariant::kFast, cached)[o];
      ASSERT_EQ(got.shape(), expected.shape()) << what;
      ASSERT_EQ(got.dtype(), expected.dtype()) << what;
      if (got.dtype() == DataType::kFloat) {
        float scale = 1e-3f;
        for (int64_t i = 0; i < expected.size(); ++i) scale = std::max(scale, std::abs(expected.data<float>()[i]));
        for (int64_t i = 0; i < expected.size(); ++i) {
          const float g = got.data<float>()[i], e = expected.data<float>()[i];
          if (g == e || (std::isnan(g) && std::isnan(e))) continue;  // infinities and NaN must match exactly
          ASSERT_NEAR(g, e, 1e-5f * scale) << what << " element " << i;
        }
      } else {
        ASSERT_EQ(std::memcmp(got.raw(), expected.raw(), got.nbytes()), 0) << what;
      }
    }
}

std::mt19937 rng(7);

// Every test in this binary runs with the outputs fast kernels overwrite filled with a pattern first.
const bool kPoisoned = (PoisonUninitializedTensors(true), true);

Tensor RandomFloat(Shape shape, float lo = -1.0f, float hi = 1.0f) {
  Tensor t(DataType::kFloat, std::move(shape));
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

Tensor Random8(DataType type, Shape shape) {
  Tensor t(type, std::move(shape));
  std::uniform_int_distribution<int> dist(type == DataType::kInt8 ? -128 : 0, type == DataType::kInt8 ? 127 : 255);
  for (int64_t i = 0; i < t.size(); ++i) {
    if (type == DataType::kInt8) t.data<int8_t>()[i] = static_cast<int8_t>(dist(rng));
    else t.data<uint8_t>()[i] = static_cast<uint8_t>(dist(rng));
  }
  return t;
}

Tensor ZeroPoint(DataType type, int32_t value, Shape shape = {}) {
  Tensor t(type, std::move(shape));
  for (int64_t i = 0; i < t.size(); ++i) {
    if (type == DataType::kInt8) t.data<int8_t>()[i] = static_cast<int8_t>(value);
    else t.data<uint8_t>()[i] = static_cast<uint8_t>(value);
  }
  return t;
}

Tensor Scales(int64_t count, float base) {
  Tensor t(DataType::kFloat, count == 1 ? Shape{} : Shape{count});
  for (int64_t i = 0; i < count; ++i) t.data<float>()[i] = base * (1.0f + 0.37f * static_cast<float>(i % 5));
  return t;
}

Tensor Bias(int64_t count) {
  Tensor t(DataType::kInt32, {count});
  for (int64_t i = 0; i < count; ++i) t.data<int32_t>()[i] = static_cast<int32_t>((i * 7919) % 4001) - 2000;
  return t;
}

struct ConvSpec {
  int64_t batch, channels, out_channels, group, height, width, kernel, stride, pad, dilation;
};

const std::vector<ConvSpec> kConvSpecs = {
    {1, 1, 8, 1, 5, 5, 3, 1, 1, 1},   {2, 3, 5, 1, 7, 6, 3, 2, 1, 1},  {1, 8, 8, 8, 6, 9, 3, 1, 1, 1},
    {1, 6, 6, 6, 7, 7, 3, 2, 0, 1},   {1, 4, 6, 2, 8, 8, 1, 1, 0, 1},  {1, 5, 9, 1, 9, 7, 3, 1, 2, 2},
    {3, 16, 17, 1, 4, 4, 2, 2, 0, 1},  {2, 5, 7, 1, 5, 6, 1, 1, 0, 1},  // pointwise, odd channels, partial panel
    // Stride 1 over output rows of a panel or more (8-bit patches packed from padded planes):
    // panels wrapping across rows and a partial last one, groups, dilation, a 5x5 window.
    {2, 3, 5, 1, 9, 11, 3, 1, 1, 1},  {1, 4, 6, 2, 7, 16, 3, 1, 0, 1}, {1, 2, 3, 1, 12, 13, 3, 1, 2, 2},
    {1, 2, 4, 1, 10, 12, 5, 1, 2, 1},
    // ... and at stride 2 (the even lanes of two loads).
    {2, 3, 5, 1, 19, 21, 3, 2, 1, 1}, {1, 4, 6, 2, 9, 20, 2, 2, 0, 1},
};

std::map<std::string, Attribute> ConvAttributes(const ConvSpec& s) {
  return {{"kernel_shape", Attribute::Ints({s.kernel, s.kernel})}, {"strides", Attribute::Ints({s.stride, s.stride})},
          {"pads", Attribute::Ints({s.pad, s.pad, s.pad, s.pad})}, {"dilations", Attribute::Ints({s.dilation, s.dilation})},
          {"group", Attribute::Int(s.group)}};
}

TEST(FastKernels, ConvFloat) {
  for (const ConvSpec& s : kConvSpecs) {
    Case c{"Conv", "", {RandomFloat({s.batch, s.channels, s.height, s.width}),
                        RandomFloat({s.out_channels, s.channels / s.group, s.kernel, s.kernel}), RandomFloat({s.out_channels})},
           ConvAttributes(s)};
    ExpectFastMatchesReference(c, "Conv " + std::to_string(s.channels) + "->" + std::to_string(s.out_channels));
  }
  // Patches past 1M floats per output row are packed a row at a time: a 3x3 window and a pointwise one.
  for (const ConvSpec& s : {ConvSpec{1, 128, 4, 1, 3, 1030, 3, 1, 1, 1}, ConvSpec{1, 1100, 3, 1, 2, 1000, 1, 1, 0, 1}}) {
    Case c{"Conv", "", {RandomFloat({s.batch, s.channels, s.height, s.width}), RandomFloat({s.out_channels, s.channels, s.kernel, s.kernel}),
                        RandomFloat({s.out_channels})},
           ConvAttributes(s)};
    ExpectFastMatchesReference(c, "Conv in row tiles " + std::to_string(s.channels) + "->" + std::to_string(s.out_channels));
  }
  // A pointwise convolution of more than 16 output channels packs its input for the GEMM.
  const ConvSpec pointwise{1, 8, 20, 1, 5, 7, 1, 1, 0, 1};
  ExpectFastMatchesReference({"Conv", "", {RandomFloat({1, 8, 5, 7}), RandomFloat({20, 8, 1, 1}), RandomFloat({20})}, ConvAttributes(pointwise)},
                             "pointwise Conv 8->20");
  // Unequal strides and pads, a 3x2 window dilated along one axis: phase planes of unequal sizes.
  Case uneven{"Conv", "", {RandomFloat({2, 3, 11, 10}), RandomFloat({5, 3, 3, 2}), RandomFloat({5})},
              {{"kernel_shape", Attribute::Ints({3, 2})}, {"strides", Attribute::Ints({3, 2})},
               {"pads", Attribute::Ints({0, 1, 2, 1})}, {"dilations", Attribute::Ints({1, 2})}}};
  ExpectFastMatchesReference(uneven, "Conv with strides (3, 2) and uneven pads");
}

TEST(FastKernels, ConvTransposeFloat) {
  struct Spec {
    int64_t channels, out_per_group, group, height, width, kernel_h, kernel_w;
    std::map<std::string, Attribute> attributes;
  };
  const std::vector<Spec> specs = {
      {8, 4, 1, 5, 6, 2, 2, {{"strides", Attribute::Ints({2, 2})}}},
      {3, 5, 1, 4, 7, 3, 3, {{"strides", Attribute::Ints({2, 2})}, {"pads", Attribute::Ints({1, 1, 1, 1})}, {"output_padding", Attribute::Ints({1, 1})}}},
      {4, 3, 2, 5, 5, 3, 2, {{"strides", Attribute::Ints({1, 3})}, {"dilations", Attribute::Ints({2, 1})}, {"group", Attribute::Int(2)}}},
      {6, 2, 3, 3, 4, 4, 4, {{"strides", Attribute::Ints({2, 2})}, {"group", Attribute::Int(3)}, {"auto_pad", Attribute::String("SAME_UPPER")}}},
      {5, 4, 1, 6, 5, 3, 3, {{"output_shape", Attribute::Ints({13, 11})}, {"strides", Attribute::Ints({2, 2})}}},
      {16, 9, 1, 1, 1, 1, 1, {}},
  };
  for (const Spec& s : specs)
    for (bool bias : {false, true}) {
      Case c{"ConvTranspose", "", {RandomFloat({2, s.channels, s.height, s.width}),
                                   RandomFloat({s.channels, s.out_per_group, s.kernel_h, s.kernel_w}),
                                   bias ? RandomFloat({s.out_per_group * s.group}) : Tensor()},
             s.attributes};
      ExpectFastMatchesReference(c, "ConvTranspose " + std::to_string(s.channels) + "->" + std::to_string(s.out_per_group * s.group) +
                                        (bias ? " with bias" : ""));
    }
}

// The 8-bit GEMM kernels run on i32x4.dot_i16x8_s, or (natively emulated, in the signed
// reading) on relaxed SIMD's 8-bit dot product as the relaxed module runs them.
class IntegerGemms : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) OverrideRelaxedDotForTesting(RelaxedDotMode::kSigned);
  }
  void TearDown() override { OverrideRelaxedDotForTesting(std::nullopt); }
};

INSTANTIATE_TEST_SUITE_P(Dot, IntegerGemms, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) { return info.param ? "Relaxed" : "Dot16"; });

TEST_P(IntegerGemms, QLinearConvBitExact) {
  for (DataType type : {DataType::kUint8, DataType::kInt8})
    for (const ConvSpec& s : kConvSpecs)
      for (bool per_channel : {false, true}) {
        const int32_t x_zp = type == DataType::kUint8 ? 255 : -128;  // extremes
        Case c{"QLinearConv", "",
               {Random8(type, {s.batch, s.channels, s.height, s.width}), Scales(1, 0.02f), ZeroPoint(type, x_zp),
                Random8(DataType::kInt8, {s.out_channels, s.channels / s.group, s.kernel, s.kernel}),
                Scales(per_channel ? s.out_channels : 1, 0.01f),
                ZeroPoint(DataType::kInt8, 0, per_channel ? Shape{s.out_channels} : Shape{}), Scales(1, 0.05f),
                ZeroPoint(type, type == DataType::kUint8 ? 3 : -5), Bias(s.out_channels)},
               ConvAttributes(s)};
        ExpectFastMatchesReference(c, "QLinearConv " + DataTypeName(type) + " group " + std::to_string(s.group));
      }
  // Rows stepped by 2 and columns by 1, with uneven padding.
  Case c{"QLinearConv", "",
         {Random8(DataType::kUint8, {2, 3, 11, 10}), Scales(1, 0.02f), ZeroPoint(DataType::kUint8, 7),
          Random8(DataType::kInt8, {4, 3, 3, 2}), Scales(1, 0.01f), ZeroPoint(DataType::kInt8, 0), Scales(1, 0.05f),
          ZeroPoint(DataType::kUint8, 3), Bias(4)},
         {{"kernel_shape", Attribute::Ints({3, 2})}, {"strides", Attribute::Ints({2, 1})}, {"pads", Attribute::Ints({1, 0, 2, 1})}}};
  ExpectFastMatchesReference(c, "QLinearConv with strides (2, 1)");
}

TEST_P(IntegerGemms, ConvIntegerMatMulIntegerAndMatMulIntegerToFloatBitExact) {
  for (DataType type : {DataType::kUint8, DataType::kInt8})
    for (const ConvSpec& s : kConvSpecs) {
      std::map<std::string, Attribute> attributes = ConvAttributes(s);
      ExpectFastMatchesReference({"ConvInteger", "", {Random8(type, {s.batch, s.channels, s.height, s.width}),
                                                      Random8(DataType::kInt8, {s.out_channels, s.channels / s.group, s.kernel, s.kernel}),
                                                      ZeroPoint(type, 17), ZeroPoint(DataType::kInt8, 3, {s.out_channels})},
                                  attributes},
                                 "ConvInteger " + DataTypeName(type) + " group " + std::to_string(s.group));
    }
  for (DataType type : {DataType::kUint8, DataType::kInt8})
    for (int64_t m : {1, 5})
      for (int64_t k : {3, 16})
        for (int64_t n : {7, 9}) {
          ExpectFastMatchesReference({"MatMulInteger", "", {Random8(type, {2, m, k}), Random8(DataType::kInt8, {k, n}), ZeroPoint(type, 100),
                                                            ZeroPoint(DataType::kInt8, -4, {n})}},
                                     "MatMulInteger per-column zero points");
          ExpectFastMatchesReference({"MatMulInteger", "", {Random8(type, {2, m, k}), Random8(type, {2, k, n})}},
                                     "batched MatMulInteger without zero points");
          ExpectFastMatchesReference({"MatMulIntegerToFloat", "com.microsoft",
                                      {Random8(type, {2, m, k}), Random8(DataType::kInt8, {k, n}), Scales(1, 0.03f), Scales(n, 0.02f),
                                       ZeroPoint(type, 100), ZeroPoint(DataType::kInt8, -4, {n}), RandomFloat({n})}, {}, 1},
                                     "MatMulIntegerToFloat per-column scales, zero points and bias");
          ExpectFastMatchesReference({"MatMulIntegerToFloat", "com.microsoft",
                                      {Random8(type, {2, m, k}), Random8(type, {2, k, n}), Scales(1, 0.03f), Scales(1, 0.5f)}, {}, 1},
                                     "batched MatMulIntegerToFloat without zero points or bias");
        }
}

TEST(FastKernels, MatMulAndGemmFloat) {
  for (int64_t m : {1, 4, 7})
    for (int64_t k : {1, 8, 13})
      for (int64_t n : {1, 8, 19}) {
        ExpectFastMatchesReference({"MatMul", "", {RandomFloat({2, m, k}), RandomFloat({k, n})}}, "MatMul 2-D B");
        ExpectFastMatchesReference({"MatMul", "", {RandomFloat({2, m, k}), RandomFloat({2, k, n})}}, "batched MatMul");
        for (int64_t trans_b : {0, 1})
          ExpectFastMatchesReference({"Gemm", "", {RandomFloat({m, k}), RandomFloat(trans_b ? Shape{n, k} : Shape{k, n}), RandomFloat({n})},
                                      {{"transB", Attribute::Int(trans_b)}}},
                                     "Gemm");
      }
}

TEST_P(IntegerGemms, QLinearMatMulAndQGemmBitExact) {
  for (DataType type : {DataType::kUint8, DataType::kInt8})
    for (int64_t m : {1, 4, 7})
      for (int64_t k : {1, 8, 13})
        for (int64_t n : {1, 8, 19}) {
          const int32_t a_zp = type == DataType::kUint8 ? 0 : 127;
          const Tensor b = Random8(DataType::kInt8, {k, n});
          ExpectFastMatchesReference({"QLinearMatMul", "", {Random8(type, {2, m, k}), Scales(1, 0.03f), ZeroPoint(type, a_zp), b,
                                                            Scales(n, 0.02f), ZeroPoint(DataType::kInt8, 0, {n}), Scales(1, 0.04f),
                                                            ZeroPoint(type, 1)}},
                                     "QLinearMatMul per column");
          ExpectFastMatchesReference({"QLinearMatMul", "", {Random8(type, {2, m, k}), Scales(1, 0.03f), ZeroPoint(type, a_zp),
                                                            Random8(type, {2, k, n}), Scales(1, 0.02f), ZeroPoint(type, 3), Scales(1, 0.5f),
                                                            ZeroPoint(type, 1)}},
                                     "QLinearMatMul of two activations");
          for (int64_t trans_b : {0, 1}) {
            std::vector<Tensor> inputs = {Random8(type, {m, k}), Scales(1, 0.03f), ZeroPoint(type, a_zp),
                                          Random8(DataType::kInt8, trans_b ? Shape{n, k} : Shape{k, n}), Scales(n, 0.02f),
                                          ZeroPoint(DataType::kInt8, 0, {n}), Bias(n)};
            ExpectFastMatchesReference({"QGemm", "com.microsoft", inputs, {{"transB", Attribute::Int(trans_b)}}, 1}, "QGemm float output");
            inputs.push_back(Scales(1, 0.01f));  // small output scale: saturates
            inputs.push_back(ZeroPoint(type, 2));
            ExpectFastMatchesReference({"QGemm", "com.microsoft", inputs, {{"transB", Attribute::Int(trans_b)}}, 1}, "QGemm");
          }
        }
}

TEST(FastKernels, QuantizeDequantizeBitExact) {
  for (DataType type : {DataType::kUint8, DataType::kInt8})
    for (int64_t width : {1, 7, 8, 17}) {
      const Shape shape{2, 3, width};
      ExpectFastMatchesReference({"QuantizeLinear", "", {RandomFloat(shape, -3, 3), Scales(1, 0.01f), ZeroPoint(type, 5)}},
                                 "QuantizeLinear per tensor (saturating)");
      ExpectFastMatchesReference({"QuantizeLinear", "", {RandomFloat(shape, -3, 3), Scales(3, 0.02f), ZeroPoint(type, 0, {3})},
                                  {{"axis", Attribute::Int(1)}}},
                                 "QuantizeLinear per axis");
      ExpectFastMatchesReference({"DequantizeLinear", "", {Random8(type, shape), Scales(1, 0.1f), ZeroPoint(type, 7)}},
                                 "DequantizeLinear per tensor");
      ExpectFastMatchesReference({"DequantizeLinear", "", {Random8(type, shape), Scales(3, 0.1f), ZeroPoint(type, 127, {3})},
                                  {{"axis", Attribute::Int(1)}}},
                                 "DequantizeLinear per axis");
    }
}

TEST(FastKernels, QLinearAddAndMulBitExact) {
  for (DataType type : {DataType::kUint8, DataType::kInt8})
    for (const std::string op : {"QLinearAdd", "QLinearMul"})
      for (const Shape& b_shape : {Shape{2, 3, 11}, Shape{11}, Shape{1, 3, 11}, Shape{}, Shape{3, 1}}) {
        // Output scale small enough that sums saturate; the [3, 1] operand takes the reference path.
        Case c{op, "com.microsoft",
                     {Random8(type, {2, 3, 11}), Scales(1, 0.05f), ZeroPoint(type, 9), Random8(type, b_shape), Scales(1, 0.03f),
                      ZeroPoint(type, 0), Scales(1, op == "QLinearAdd" ? 0.04f : 0.5f), ZeroPoint(type, 4)},
                     {},
                     1};
        ExpectFastMatchesReference(c, op + " " + DataTypeName(type) + " with B " + ShapeToString(b_shape));
        Case swapped = c;  // the smaller operand first
        std::swap(swapped.inputs[0], swapped.inputs[3]);
        std::swap(swapped.inputs[1], swapped.inputs[4]);
        std::swap(swapped.inputs[2], swapped.inputs[5]);
        ExpectFastMatchesReference(swapped, op + " " + DataTypeName(type) + " with A " + ShapeToString(b_shape));
      }
}

TEST(FastKernels, ErfGeluSoftmaxAndLayerNormalizationFloat) {
  for (const Shape& shape : {Shape{3}, Shape{3, 7}, Shape{2, 3, 17}, Shape{4, 16}}) {
    ExpectFastMatchesReference({"Erf", "", {RandomFloat(shape, -4.0f, 4.0f)}}, "Erf " + ShapeToString(shape));
    ExpectFastMatchesReference({"Gelu", "", {RandomFloat(shape, -6.0f, 6.0f)}, {}, 20}, "Gelu " + ShapeToString(shape));
    ExpectFastMatchesReference({"Gelu", "com.microsoft", {RandomFloat(shape, -6.0f, 6.0f)}, {}, 1}, "com.microsoft Gelu");
    ExpectFastMatchesReference({"Softmax", "", {RandomFloat(shape, -30.0f, 30.0f)}}, "Softmax " + ShapeToString(shape));
    const int64_t last = shape.back();
    ExpectFastMatchesReference({"LayerNormalization", "", {RandomFloat(shape, -3.0f, 5.0f), RandomFloat({last}), RandomFloat({last})}, {}, 17},
                               "LayerNormalization " + ShapeToString(shape));
    ExpectFastMatchesReference({"LayerNormalization", "", {RandomFloat(shape), RandomFloat({last})}, {{"epsilon", Attribute::Float(1e-3f)}}, 17},
                               "LayerNormalization without bias");
  }
  ExpectFastMatchesReference({"Softmax", "", {RandomFloat({5, 9}, -3.0f, 3.0f)}, {}, 11}, "Softmax opset 11, 2-D");
  // Quantized Softmax: the float Softmax's last bits can move an output across a rounding
  // boundary, so compare within one quantization step.
  const Case q{"QLinearSoftmax", "com.microsoft",
               {Random8(DataType::kUint8, {6, 13}), Scales(1, 0.1f), ZeroPoint(DataType::kUint8, 128), Scales(1, 1.0f / 256),
                ZeroPoint(DataType::kUint8, 0)},
               {{"opset", Attribute::Int(13)}},
               1};
  const Tensor reference = RunVariant(q, KernelVariant::kReference, false), fast = RunVariant(q, KernelVariant::kFast, false);
  for (int64_t i = 0; i < reference.size(); ++i)
    EXPECT_LE(std::abs(fast.data<uint8_t>()[i] - reference.data<uint8_t>()[i]), 1) << "QLinearSoftmax element " << i;
  // Middle axes: columns in vectors of four with a tail (inner 9), inner 4 exactly, and NCHW channels.
  ExpectFastMatchesReference({"Softmax", "", {RandomFloat({2, 5, 9}, -20.0f, 20.0f)}, {{"axis", Attribute::Int(1)}}}, "Softmax on a middle axis");
  ExpectFastMatchesReference({"Softmax", "", {RandomFloat({3, 7, 4})}, {{"axis", Attribute::Int(-2)}}}, "Softmax on axis -2");
  ExpectFastMatchesReference({"Softmax", "", {RandomFloat({2, 6, 5, 7}, -8.0f, 8.0f)}, {{"axis", Attribute::Int(1)}}}, "Softmax over NCHW channels");
  ExpectFastMatchesReference({"Softmax", "", {RandomFloat({4, 3, 5})}, {{"axis", Attribute::Int(0)}}}, "Softmax on the first axis");
  // Before opset 13 Softmax takes rows flattened from its axis on.
  ExpectFastMatchesReference({"Softmax", "", {RandomFloat({2, 3, 4, 5}, -8.0f, 8.0f)}, {}, 11}, "Softmax opset 11, axis 1 of 4-D");
  ExpectFastMatchesReference({"Softmax", "", {RandomFloat({2, 3, 7}, -8.0f, 8.0f)}, {{"axis", Attribute::Int(0)}}, 1},
                             "Softmax opset 1, axis 0");
}

TEST(FastKernels, NormalizationsFloat) {
  // LayerNormalization over the dims from a middle axis, the scale and bias shaped as those dims.
  for (int64_t axis : {1, -2}) {
    const Shape shape{2, 3, 4, 5};
    const Shape normalized(shape.begin() + (axis + 4) % 4, shape.end());
    ExpectFastMatchesReference({"LayerNormalization", "", {RandomFloat(shape, -3.0f, 5.0f), RandomFloat(normalized), RandomFloat(normalized)},
                                {{"axis", Attribute::Int(axis)}}, 17},
                               "LayerNormalization from axis " + std::to_string(axis));
  }
  // Planes with a vector tail (5x5) and without (4x4), one channel, a batch of 3, and 3-D input.
  for (const Shape& shape : {Shape{2, 3, 5, 5}, Shape{1, 1, 4, 4}, Shape{3, 4, 7}}) {
    const int64_t c = shape[1];
    ExpectFastMatchesReference({"InstanceNormalization", "", {RandomFloat(shape, -2.0f, 6.0f), RandomFloat({c}), RandomFloat({c})},
                                {{"epsilon", Attribute::Float(1e-3f)}}, 6},
                               "InstanceNormalization " + ShapeToString(shape));
  }
  // GroupNormalization's scale and bias: one per group before opset 21, one per channel from 21.
  const Tensor x = RandomFloat({2, 6, 3, 5}, -2.0f, 6.0f);
  const std::map<std::string, Attribute> three_groups{{"num_groups", Attribute::Int(3)}};
  ExpectFastMatchesReference({"GroupNormalization", "", {x, RandomFloat({3}), RandomFloat({3})}, three_groups, 18}, "GroupNormalization-18");
  ExpectFastMatchesReference({"GroupNormalization", "", {x, RandomFloat({6}), RandomFloat({6})}, three_groups, 21}, "GroupNormalization-21");
}

// Distinct bytes in every element (a random pattern), whatever the element type.
Tensor RandomBytes(DataType type, Shape shape) {
  Tensor t(type, std::move(shape));
  std::uniform_int_distribution<int> byte(0, 255);
  for (int64_t i = 0; i < t.size() * static_cast<int64_t>(ElementSize(type)); ++i) t.raw()[i] = static_cast<uint8_t>(byte(rng));
  return t;
}

Tensor Indices(std::vector<int64_t> values, Shape shape) {
  Tensor t(DataType::kInt64, std::move(shape));
  std::copy(values.begin(), values.end(), t.data<int64_t>());
  return t;
}

TEST(FastKernels, TransposeConcatAndGatherBitExact) {
  struct Permuted {
    Shape shape;
    std::vector<int64_t> perm;
  };
  // 2-D and batched planes with tails past the 4x4 tiles and the 16-row line tiles; NCHW <->
  // NHWC; the attention head split; dims of 1; the last axis kept; the reversed default.
  const std::vector<Permuted> transposes = {
      {{5, 7}, {1, 0}},          {{37, 19}, {1, 0}},           {{2, 3, 17, 9}, {0, 2, 3, 1}}, {{2, 17, 9, 3}, {0, 3, 1, 2}},
      {{2, 6, 5, 4}, {0, 2, 1, 3}}, {{3, 1, 8, 1, 6}, {4, 2, 0, 3, 1}}, {{4, 5, 6}, {}},     {{2, 3, 4, 5, 6}, {0, 1, 4, 3, 2}},
      {{1, 1}, {1, 0}},          {{0, 3}, {1, 0}}};
  for (DataType type : {DataType::kFloat, DataType::kUint8, DataType::kFloat16, DataType::kInt64, DataType::kBool})
    for (const Permuted& t : transposes) {
      std::map<std::string, Attribute> attributes;
      if (!t.perm.empty()) attributes["perm"] = Attribute::Ints(t.perm);
      ExpectFastMatchesReference({"Transpose", "", {RandomBytes(type, t.shape)}, attributes}, "Transpose " + DataTypeName(type) + " " + ShapeToString(t.shape));
    }
  for (int64_t axis : {0, 1, -1})
    ExpectFastMatchesReference({"Concat", "", {RandomFloat({2, 3, 5}), RandomFloat({2, 3, 5}), RandomFloat({2, 3, 5})}, {{"axis", Attribute::Int(axis)}}},
                               "Concat on axis " + std::to_string(axis));
  ExpectFastMatchesReference({"Concat", "", {RandomBytes(DataType::kInt64, {2, 0, 3}), RandomBytes(DataType::kInt64, {2, 4, 3})}, {{"axis", Attribute::Int(1)}}},
                             "Concat with an empty input");
  const Tensor table = RandomBytes(DataType::kFloat16, {4, 6, 5});
  ExpectFastMatchesReference({"Gather", "", {table, Indices({3, -1, 0}, {3})}}, "Gather rows, a negative index");
  ExpectFastMatchesReference({"Gather", "", {table, Indices({5, 2, 2, 0}, {2, 2})}, {{"axis", Attribute::Int(1)}}}, "Gather on axis 1, 2-D indices");
  ExpectFastMatchesReference({"Gather", "", {table, Indices({4}, {})}, {{"axis", Attribute::Int(-1)}}}, "Gather one element per row");
  // An index out of range fails with the reference kernel's message.
  for (KernelVariant variant : {KernelVariant::kReference, KernelVariant::kFast}) {
    Node node;
    node.op_type = "Gather";
    node.inputs = {"table", "indices"};
    node.outputs = {"y"};
    const Tensor indices = Indices({4}, {1});
    const std::vector<const Tensor*> inputs{&table, &indices};
    KernelContext ctx(node, 13, inputs, nullptr);
    EXPECT_EQ(KernelRegistry::Get().Find("", "Gather", variant)(ctx).message(), "index 4 out of range for dim 4");
  }
}

TEST(FastKernels, QLinearSigmoidAndLeakyReluTablesBitExact) {
  for (DataType type : {DataType::kUint8, DataType::kInt8}) {
    const std::vector<Tensor> inputs = {Random8(type, {3, 37}), Scales(1, 0.05f), ZeroPoint(type, 7), Scales(1, 1.0f / 256),
                                        ZeroPoint(type, type == DataType::kInt8 ? -128 : 0)};
    ExpectFastMatchesReference({"QLinearSigmoid", "com.microsoft", inputs, {}, 1}, "QLinearSigmoid " + DataTypeName(type));
    ExpectFastMatchesReference({"QLinearLeakyRelu", "com.microsoft", inputs, {{"alpha", Attribute::Float(0.2f)}}, 1},
                               "QLinearLeakyRelu " + DataTypeName(type));
  }
}

TEST(FastKernels, DynamicQuantizeLinearBitExact) {
  for (int64_t n : {1, 3, 8, 29}) {
    ExpectFastMatchesReference({"DynamicQuantizeLinear", "", {RandomFloat({2, n}, -2.0f, 5.0f)}, {}, 11, 3}, "mixed signs");
    ExpectFastMatchesReference({"DynamicQuantizeLinear", "", {RandomFloat({n}, 0.5f, 3.0f)}, {}, 11, 3}, "positive only");
    ExpectFastMatchesReference({"DynamicQuantizeLinear", "", {Tensor(DataType::kFloat, {n})}, {}, 11, 3}, "all zeros");
  }
}

// NaN and infinities (a hostile model's values) take defined levels, the same in both kernels.
TEST(FastKernels, QuantizingNaNAndInfinityIsDefinedAndBitExact) {
  Tensor x = RandomFloat({2, 9}, -3, 3);
  x.data<float>()[1] = std::nanf("");
  x.data<float>()[6] = INFINITY;
  x.data<float>()[12] = -INFINITY;
  for (DataType type : {DataType::kUint8, DataType::kInt8})
    ExpectFastMatchesReference({"QuantizeLinear", "", {x, Scales(1, 0.01f), ZeroPoint(type, 5)}}, "QuantizeLinear of NaN and Inf");
  ExpectFastMatchesReference({"DynamicQuantizeLinear", "", {x}, {}, 11, 3}, "DynamicQuantizeLinear of NaN and Inf");
}

TEST(FastKernels, MaxPoolExact) {
  // Widths below and above a vector of outputs (4 floats, 16 bytes), strides 1 and 2 (the
  // vectorized column pass) and 3, padding and dilation along the row.
  for (DataType type : {DataType::kFloat, DataType::kUint8, DataType::kInt8})
    for (int64_t width : {7, 40, 67}) {
      const Tensor x = type == DataType::kFloat ? RandomFloat({2, 3, 9, width}) : Random8(type, {2, 3, 9, width});
      const std::string what = DataTypeName(type) + " width " + std::to_string(width);
      for (int64_t ceil : {0, 1})
        ExpectFastMatchesReference({"MaxPool", "", {x}, {{"kernel_shape", Attribute::Ints({3, 2})}, {"strides", Attribute::Ints({2, 2})},
                                                        {"pads", Attribute::Ints({1, 0, 1, 1})}, {"ceil_mode", Attribute::Int(ceil)}}},
                                   "MaxPool " + what);
      for (int64_t stride : {1, 2, 3})
        ExpectFastMatchesReference({"MaxPool", "", {x}, {{"kernel_shape", Attribute::Ints({2, 3})}, {"strides", Attribute::Ints({1, stride})},
                                                        {"pads", Attribute::Ints({0, 1, 0, 1})}, {"dilations", Attribute::Ints({1, 2})}}},
                                   "dilated MaxPool, stride " + std::to_string(stride) + ", " + what);
      ExpectFastMatchesReference({"MaxPool", "", {x}, {{"kernel_shape", Attribute::Ints({2, 2})}, {"dilations", Attribute::Ints({2, 1})}}},
                                 "MaxPool dilated across rows, " + what);
    }
  // 2x2 at stride 2 tiling the input (the flat two-pass path), widths below and above a vector.
  for (DataType type : {DataType::kFloat, DataType::kUint8, DataType::kInt8})
    for (int64_t width : {2, 6, 14, 28, 66}) {
      const Tensor x = type == DataType::kFloat ? RandomFloat({3, 5, 8, width}) : Random8(type, {3, 5, 8, width});
      ExpectFastMatchesReference({"MaxPool", "", {x}, {{"kernel_shape", Attribute::Ints({2, 2})}, {"strides", Attribute::Ints({2, 2})}}},
                                 "2x2 MaxPool " + DataTypeName(type) + " width " + std::to_string(width));
    }
}

// Padding counted or not, ceil mode, strides, dilations, windows that leave the input: the same
// double sums in the same order as the reference, so the same bits.
TEST(FastKernels, AveragePoolBitExact) {
  for (int64_t width : {7, 40})
    for (int64_t count_pad : {0, 1})
      for (int64_t ceil : {0, 1}) {
        const Tensor x = RandomFloat({2, 3, 9, width});
        for (const auto& [kernel, strides, pads, dilations] :
             {std::tuple{Shape{3, 3}, Shape{1, 1}, Shape{1, 1, 1, 1}, Shape{1, 1}}, std::tuple{Shape{3, 2}, Shape{2, 2}, Shape{1, 0, 1, 1}, Shape{1, 1}},
              std::tuple{Shape{2, 3}, Shape{1, 3}, Shape{0, 1, 0, 2}, Shape{2, 1}}, std::tuple{Shape{2, 2}, Shape{2, 2}, Shape{0, 0, 0, 0}, Shape{1, 1}}}) {
          const Case c{"AveragePool", "",
                       {x},
                       {{"kernel_shape", Attribute::Ints(kernel)}, {"strides", Attribute::Ints(strides)}, {"pads", Attribute::Ints(pads)},
                        {"dilations", Attribute::Ints(dilations)}, {"count_include_pad", Attribute::Int(count_pad)},
                        {"ceil_mode", Attribute::Int(ceil)}},
                       19};
          const Tensor expected = RunVariant(c, KernelVariant::kReference, false), got = RunVariant(c, KernelVariant::kFast, true);
          ASSERT_EQ(got.shape(), expected.shape());
          EXPECT_EQ(std::memcmp(got.raw(), expected.raw(), got.nbytes()), 0)
              << "kernel " << ShapeToString(kernel) << " strides " << ShapeToString(strides) << " count_include_pad " << count_pad
              << " ceil " << ceil << " width " << width;
        }
      }
}

TEST(FastKernels, QLinearGlobalAveragePoolBitExact) {
  // Planes shorter than, equal to and longer than a vector of eight, with a tail; an input
  // scale with a long significand, so every dequantized product is rounded; an output scale
  // that keeps the means inside the output range.
  for (DataType type : {DataType::kUint8, DataType::kInt8})
    for (const Shape& shape : {Shape{2, 3, 2, 3}, Shape{2, 3, 8}, Shape{3, 5, 7, 7}, Shape{1, 2, 29, 31}}) {
      const Case c{"QLinearGlobalAveragePool", "com.microsoft",
                   {Random8(type, shape), Scales(1, 0.0371291f), ZeroPoint(type, 5), Scales(1, 0.05f),
                    ZeroPoint(type, type == DataType::kInt8 ? -3 : 10)},
                   {},
                   1};
      ExpectFastMatchesReference(c, "QLinearGlobalAveragePool " + DataTypeName(type) + " " + ShapeToString(shape));
    }
}

TEST(FastKernels, FloatArithmeticBitExact) {
  // The full operand on either side, a trailing block, a per-channel block, a scalar, equal
  // shapes, an empty output; a broadcast of both operands takes the reference path.
  for (const std::string op : {"Add", "Sub", "Mul", "Div"})
    for (const auto& [a, b] : std::vector<std::pair<Shape, Shape>>{
             {{2, 3, 7}, {2, 3, 7}}, {{2, 3, 7}, {7}}, {{2, 3, 7}, {1, 3, 7}}, {{2, 3, 7}, {}}, {{5}, {2, 3, 5}}, {{}, {4, 9}}, {{2, 1, 5}, {3, 1}},
             {{2, 3, 4, 5}, {3, 1, 1}}, {{1, 3, 1, 1}, {2, 3, 4, 5}}, {{2, 3, 4, 5}, {3, 4, 1}}, {{2, 3, 4, 5}, {2, 1, 1, 1}},
             {{2, 3, 4, 5}, {1, 1}}, {{2, 3, 6}, {3, 1}}, {{2, 0, 3}, {3}}}) {
      const Tensor divisor = RandomFloat(b, 0.5f, 2.0f);
      ExpectFastMatchesReference({op, "", {RandomFloat(a), op == "Div" ? divisor : RandomFloat(b)}},
                                 op + " " + ShapeToString(a) + " with " + ShapeToString(b));
    }
}

TEST(FastKernels, ResizeNearestAndLinearBitExact) {
  // Over H and W, up, down and mixed, in each coordinate mode; nearest on 8-bit tensors too. A
  // 3-D input, cubic mode and tf_crop_and_resize go to the reference kernel.
  Tensor x8(DataType::kUint8, {2, 3, 5, 7});
  for (int64_t i = 0; i < x8.size(); ++i) x8.data<uint8_t>()[i] = static_cast<uint8_t>(rng());
  const std::vector<std::pair<float, float>> scales = {{2, 2}, {1, 2}, {2, 1}, {0.5f, 0.6f}, {1.5f, 2.5f}, {3, 3}};
  auto check = [&](const Tensor& x, const std::string& mode, const std::string& coordinates, const std::string& nearest,
                   std::pair<float, float> scale) {
    const std::vector<float> factors = x.rank() == 4 ? std::vector<float>{1, 1, scale.first, scale.second}
                                                     : std::vector<float>{1, scale.first, scale.second};
    Case c{"Resize", "", {x, Tensor::FromVector<float>({8}, {0, 0, 0.1f, 0.2f, 1, 1, 0.9f, 0.7f}),
                          Tensor::FromVector<float>({static_cast<int64_t>(factors.size())}, factors)}};
    if (x.rank() != 4 || coordinates != "tf_crop_and_resize") c.inputs[1] = Tensor();
    c.attributes = {{"mode", Attribute::String(mode)}, {"coordinate_transformation_mode", Attribute::String(coordinates)},
                    {"nearest_mode", Attribute::String(nearest)}};
    const std::string what = mode + " " + coordinates + " " + nearest + " " + ShapeToString(x.shape()) + " x" +
                             std::to_string(scale.first) + "," + std::to_string(scale.second);
    const Tensor expected = RunVariant(c, KernelVariant::kReference, false), got = RunVariant(c, KernelVariant::kFast, false);
    ASSERT_EQ(got.shape(), expected.shape()) << what;
    ASSERT_EQ(std::memcmp(got.raw(), expected.raw(), got.nbytes()), 0) << what;
  };
  const Tensor x = RandomFloat({2, 3, 5, 7});
  for (const auto& scale : scales) {
    for (const char* coordinates : {"half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel", "tf_half_pixel_for_nn"})
      for (const char* nearest : {"round_prefer_floor", "floor", "ceil"}) {
        check(x, "nearest", coordinates, nearest, scale);
        check(x8, "nearest", coordinates, nearest, scale);
      }
    for (const char* coordinates : {"half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel"}) check(x, "linear", coordinates, "floor", scale);
    check(x, "cubic", "half_pixel", "floor", scale);
    check(x, "linear", "tf_crop_and_resize", "floor", scale);
    check(RandomFloat({3, 5, 7}), "linear", "half_pixel", "floor", scale);
  }
  // Infinite, NaN and negative-zero samples, which a zero weight must skip, not multiply.
  Tensor specials = RandomFloat({1, 2, 5, 7});
  const float values[] = {INFINITY, -INFINITY, NAN, -0.0f};
  for (int64_t i = 0; i < specials.size(); i += 5) specials.data<float>()[i] = values[i / 5 % 4];
  for (const auto& scale : scales)
    for (const char* coordinates : {"half_pixel", "asymmetric", "align_corners"}) check(specials, "linear", coordinates, "floor", scale);
  for (const char* mode : {"nearest", "linear"}) {  // Upsample-9: asymmetric, nearest rounding down
    Case c{"Upsample", "", {x, Tensor::FromVector<float>({4}, {1, 1, 2, 3})}, {{"mode", Attribute::String(mode)}}, 9};
    const Tensor expected = RunVariant(c, KernelVariant::kReference, false), got = RunVariant(c, KernelVariant::kFast, false);
    ASSERT_EQ(got.shape(), expected.shape()) << mode;
    ASSERT_EQ(std::memcmp(got.raw(), expected.raw(), got.nbytes()), 0) << mode;
  }
}

// Random values with the edge cases every activation must keep: zeros of both signs, the
// bounds, infinities and NaN.
Tensor ActivationInputs(Shape shape) {
  Tensor x = RandomFloat(std::move(shape), -8.0f, 8.0f);
  const float special[] = {0.0f, -0.0f, 3.0f, -3.0f, 6.0f, INFINITY, -INFINITY, NAN, 1e-30f, -1e-30f};
  for (size_t i = 0; i < std::size(special) && static_cast<int64_t>(i) < x.size(); ++i) x.data<float>()[i * 3 % x.size()] = special[i];
  return x;
}

void ExpectBitExact(const Case& c, const std::string& what) {
  const Tensor expected = RunVariant(c, KernelVariant::kReference, false), got = RunVariant(c, KernelVariant::kFast, false);
  ASSERT_EQ(got.shape(), expected.shape()) << what;
  for (int64_t i = 0; i < got.size(); ++i) {
    const float g = got.data<float>()[i], e = expected.data<float>()[i];
    if (std::isnan(g) && std::isnan(e)) continue;
    ASSERT_EQ(std::memcmp(&g, &e, sizeof g), 0) << what << " element " << i << ": " << g << " against " << e;
  }
}

TEST(FastKernels, ActivationsBitExact) {
  // 4-lane blocks and a tail; Clip at opset 6 (attributes) and 13 (inputs, one omitted).
  for (const Shape& shape : {Shape{37}, Shape{2, 3, 8}}) {
    const Tensor x = ActivationInputs(shape);
    ExpectBitExact({"Relu", "", {x}}, "Relu");
    ExpectBitExact({"LeakyRelu", "", {x}, {{"alpha", Attribute::Float(0.1f)}}}, "LeakyRelu");
    ExpectBitExact({"HardSigmoid", "", {x}, {{"alpha", Attribute::Float(0.3f)}, {"beta", Attribute::Float(0.4f)}}}, "HardSigmoid");
    ExpectBitExact({"HardSwish", "", {x}, {}, 14}, "HardSwish");
    ExpectBitExact({"Clip", "", {x}, {{"min", Attribute::Float(-1)}, {"max", Attribute::Float(6)}}, 6}, "Clip-6");
    ExpectBitExact({"Clip", "", {x, Tensor(), Tensor::FromVector<float>({}, {6})}}, "Clip-13, max only");
    ExpectBitExact({"Clip", "", {x, Tensor::FromVector<float>({}, {0}), Tensor::FromVector<float>({}, {6})}}, "Clip-13");
  }
}

TEST(FastKernels, FusedConvIsConvThenActivation) {
  // Every activation after a dense and a depthwise convolution: within the float tolerance of
  // the reference, and equal bit for bit to the fast Conv followed by the activation's own fast
  // kernel (or the reference's, for Sigmoid and Tanh). A sum input Z takes the reference's path.
  using Param = std::vector<float>;
  const std::vector<std::pair<std::string, Param>> activations = {
      {"Relu", {}}, {"LeakyRelu", {0.2f}}, {"Clip", {0, 6}}, {"HardSigmoid", {0.2f, 0.5f}}, {"HardSwish", {}}, {"Sigmoid", {}}, {"Tanh", {}}};
  for (const ConvSpec& s : {ConvSpec{1, 6, 5, 1, 9, 11, 3, 1, 1, 1}, ConvSpec{2, 8, 8, 8, 7, 6, 3, 2, 1, 1}})
    for (const auto& [activation, params] : activations) {
      const std::string what = "FusedConv " + activation + " group " + std::to_string(s.group);
      Case c{"FusedConv", "com.microsoft", {RandomFloat({s.batch, s.channels, s.height, s.width}, -4, 4),
                                             RandomFloat({s.out_channels, s.channels / s.group, s.kernel, s.kernel}), RandomFloat({s.out_channels})},
             ConvAttributes(s), 1};
      c.attributes["activation"] = Attribute::String(activation);
      if (!params.empty()) c.attributes["activation_params"] = Attribute::Floats(params);
      ExpectFastMatchesReference(c, what);

      const Tensor conv = RunVariant({"Conv", "", c.inputs, ConvAttributes(s)}, KernelVariant::kFast, false);
      Case alone{activation, "", {conv}, {}, 14};
      if (activation == "LeakyRelu") alone.attributes["alpha"] = Attribute::Float(params[0]);
      if (activation == "HardSigmoid") alone.attributes = {{"alpha", Attribute::Float(params[0])}, {"beta", Attribute::Float(params[1])}};
      if (activation == "Clip") alone.inputs = {conv, Tensor::FromVector<float>({}, {params[0]}), Tensor::FromVector<float>({}, {params[1]})};
      const Tensor fused = RunVariant(c, KernelVariant::kFast, false), separate = RunVariant(alone, KernelVariant::kFast, false);
      ASSERT_EQ(std::memcmp(fused.raw(), separate.raw(), fused.nbytes()), 0) << what << " against Conv then " << activation;

      c.inputs.push_back(conv);  // Z
      ExpectFastMatchesReference(c, what + " with Z");
    }
}

TEST(FastKernels, ReductionsBitExact) {
  // Trailing, leading and middle blocks of axes, with and without keepdims, NaN and infinities
  // among the values; a block with a gap and the empty axes list take the reference's path.
  const Tensor x = ActivationInputs({2, 3, 4, 5});
  for (const std::string op : {"ReduceSum", "ReduceMean", "ReduceMax"})
    for (const std::vector<int64_t>& axes : std::vector<std::vector<int64_t>>{{2, 3}, {-1}, {0}, {1}, {1, 2}, {0, 1, 2, 3}, {1, 3}, {}})
      for (int64_t keepdims : {0, 1}) {
        const std::string what = op + " axes " + ::testing::PrintToString(axes) + " keepdims " + std::to_string(keepdims);
        Case attribute_axes{op, "", {x}, {{"keepdims", Attribute::Int(keepdims)}}, 11};
        if (!axes.empty()) attribute_axes.attributes["axes"] = Attribute::Ints(axes);
        ExpectBitExact(attribute_axes, what + " (opset 11)");
        Case input_axes{op, "", {x, Tensor::FromVector<int64_t>({static_cast<int64_t>(axes.size())}, axes)},
                        {{"keepdims", Attribute::Int(keepdims)}}, 18};
        if (axes.empty()) input_axes.inputs.pop_back();
        ExpectBitExact(input_axes, what + " (opset 18)");
      }
}

TEST(FastKernels, ABiasOfTheWrongLengthIsAnErrorInBothVariants) {
  // W has 12 output channels, B 4 values: the kernels would read past B.
  Node node;
  node.op_type = "Conv";
  node.inputs = {"x", "w", "b"};
  node.outputs = {"y"};
  const Tensor x = RandomFloat({1, 3, 5, 5}), w = RandomFloat({12, 3, 3, 1}), b = RandomFloat({4});
  const std::vector<const Tensor*> inputs{&x, &w, &b};
  for (KernelVariant variant : {KernelVariant::kReference, KernelVariant::kFast}) {
    KernelContext ctx(node, 13, inputs, nullptr);
    const Status status = KernelRegistry::Get().Find("", "Conv", variant)(ctx);
    EXPECT_EQ(status.message(), "B has 4 values for 12 output channels");
  }
}

TEST(FastKernels, EveryFastKernelIsCoveredHere) {
  EXPECT_EQ(KernelRegistry::Get().FastOpTypes(),
            (std::vector<std::string>{"Add", "AveragePool", "Clip", "Concat", "Conv", "ConvInteger", "ConvTranspose", "DequantizeLinear", "Div", "DynamicQuantizeLinear", "Erf", "Gather", "Gelu", "Gemm",
                                      "GroupNormalization", "HardSigmoid", "HardSwish", "InstanceNormalization", "LayerNormalization", "LeakyRelu", "MatMul", "MatMulInteger", "MaxPool", "Mul",
                                      "QLinearConv", "QLinearMatMul", "QuantizeLinear", "ReduceMax", "ReduceMean", "ReduceSum", "Relu", "Resize",
                                      "Softmax", "Sub", "Transpose", "Upsample",
                                      "com.microsoft.FusedConv", "com.microsoft.Gelu", "com.microsoft.MatMulIntegerToFloat", "com.microsoft.QGemm",
                                      "com.microsoft.QLinearAdd", "com.microsoft.QLinearGlobalAveragePool", "com.microsoft.QLinearLeakyRelu", "com.microsoft.QLinearMul",
                                      "com.microsoft.QLinearSigmoid", "com.microsoft.QLinearSoftmax"}));
}

}  // namespace
}  // namespace qplay
