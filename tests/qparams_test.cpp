// Scale / zero-point arithmetic pinned to ONNX Runtime's conventions (design.md).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "quant/qparams.h"

namespace qplay {
namespace {

QuantRange Range(DataType type, bool symmetric = false, bool reduce = false) { return RangeFor(type, symmetric, reduce).value(); }

TEST(QParams, RangesPerTypeSymmetryAndReduceRange) {
  auto eq = [](QuantRange r, int32_t lo, int32_t hi) { return r.qmin == lo && r.qmax == hi; };
  EXPECT_TRUE(eq(Range(DataType::kInt8), -128, 127));
  EXPECT_TRUE(eq(Range(DataType::kInt8, true), -127, 127));
  EXPECT_TRUE(eq(Range(DataType::kInt8, false, true), -64, 64));
  EXPECT_TRUE(eq(Range(DataType::kUint8), 0, 255));
  EXPECT_TRUE(eq(Range(DataType::kUint8, true), 0, 254));
  EXPECT_TRUE(eq(Range(DataType::kUint8, false, true), 0, 127));
  EXPECT_TRUE(eq(Range(DataType::kInt16), -32768, 32767));
  EXPECT_TRUE(eq(Range(DataType::kInt16, true), -32767, 32767));
  // ONNX Runtime keeps the 4-bit types' full range when symmetric.
  EXPECT_TRUE(eq(Range(DataType::kInt4, true), -8, 7));
  EXPECT_TRUE(eq(Range(DataType::kUint4), 0, 15));
  auto bad = RangeFor(DataType::kFloat, false, false);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "cannot quantize to float32; expected int8, uint8, int16, uint16, int4 or uint4");
}

TEST(QParams, AsymmetricUint8) {
  QParams q = ComputeQParams(-1.0f, 1.0f, Range(DataType::kUint8), false);
  EXPECT_FLOAT_EQ(q.scale, 2.0f / 255.0f);
  EXPECT_EQ(q.zero_point, 128);  // 127.5 rounds half to even
}

TEST(QParams, AsymmetricInt8RoundsMinusHalfToZero) {
  QParams q = ComputeQParams(-1.0f, 1.0f, Range(DataType::kInt8), false);
  EXPECT_FLOAT_EQ(q.scale, 2.0f / 255.0f);
  EXPECT_EQ(q.zero_point, 0);  // -128 + 127.5 = -0.5 -> 0
}

TEST(QParams, HalfToEvenRoundsDown) {
  // scale is exactly 1/128 and qmin - rmin/scale is exactly 126.5, which rounds to 126.
  QParams q = ComputeQParams(-126.5f / 128, 128.5f / 128, Range(DataType::kUint8), false);
  EXPECT_EQ(q.scale, 1.0f / 128);
  EXPECT_EQ(q.zero_point, 126);
}

TEST(QParams, RangeAlwaysContainsZero) {
  QParams positive = ComputeQParams(2.0f, 6.0f, Range(DataType::kUint8), false);
  EXPECT_FLOAT_EQ(positive.scale, 6.0f / 255.0f);
  EXPECT_EQ(positive.zero_point, 0);
  QParams negative = ComputeQParams(-6.0f, -2.0f, Range(DataType::kUint8), false);
  EXPECT_FLOAT_EQ(negative.scale, 6.0f / 255.0f);
  EXPECT_EQ(negative.zero_point, 255);
}

TEST(QParams, AllZeroAndConstantTensors) {
  QParams zero = ComputeQParams(0.0f, 0.0f, Range(DataType::kUint8), false);
  EXPECT_EQ(zero.scale, 1.0f);
  EXPECT_EQ(zero.zero_point, 0);
  QParams zero_sym = ComputeQParams(0.0f, 0.0f, Range(DataType::kInt8, true), true);
  EXPECT_EQ(zero_sym.scale, 1.0f);
  EXPECT_EQ(zero_sym.zero_point, 0);
  QParams constant = ComputeQParams(3.0f, 3.0f, Range(DataType::kUint8), false);
  EXPECT_FLOAT_EQ(constant.scale, 3.0f / 255.0f);
  EXPECT_EQ(constant.zero_point, 0);
}

TEST(QParams, NaNAndInfiniteBoundsGiveFiniteParameters) {
  const float nan = std::nanf(""), inf = std::numeric_limits<float>::infinity();
  QParams from_nan = ComputeQParams(nan, 2.0f, Range(DataType::kUint8), false);
  EXPECT_FLOAT_EQ(from_nan.scale, 2.0f / 255.0f);
  EXPECT_EQ(from_nan.zero_point, 0);
  QParams from_inf = ComputeQParams(-inf, inf, Range(DataType::kInt8), false);
  EXPECT_TRUE(std::isfinite(from_inf.scale));
  EXPECT_EQ(from_inf.zero_point, 0);
}

TEST(QParams, TinyRangeKeepsAPositiveScale) {
  QParams q = ComputeQParams(0.0f, 1e-30f, Range(DataType::kUint8), false);
  EXPECT_GT(q.scale, 0.0f);
  EXPECT_FLOAT_EQ(q.scale, static_cast<float>(1e-30 / 255));
  EXPECT_EQ(q.zero_point, 0);
}

TEST(QParams, SymmetricUsesAbsMax) {
  QParams s8 = ComputeQParams(-0.5f, 2.0f, Range(DataType::kInt8, true), true);
  EXPECT_FLOAT_EQ(s8.scale, 4.0f / 254.0f);
  EXPECT_EQ(s8.zero_point, 0);
  QParams u8 = ComputeQParams(-1.0f, 3.0f, Range(DataType::kUint8, true), true);
  EXPECT_FLOAT_EQ(u8.scale, 6.0f / 254.0f);
  EXPECT_EQ(u8.zero_point, 127);
  QParams full_int8 = ComputeQParams(-1.0f, 1.0f, Range(DataType::kInt8), true);
  EXPECT_EQ(full_int8.zero_point, 0);  // (-128 + 127) / 2 = -0.5 -> 0
}

TEST(QParams, ReduceRange) {
  QParams q = ComputeQParams(-1.0f, 1.0f, Range(DataType::kInt8, false, true), false);
  EXPECT_EQ(q.scale, 2.0f / 128.0f);
  EXPECT_EQ(q.zero_point, 0);
}

}  // namespace
}  // namespace qplay
