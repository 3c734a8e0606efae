#include <gtest/gtest.h>

#include "quant/config.h"

namespace qplay {
namespace {

TEST(QuantizationConfig, JsonRoundTrip) {
  QuantizationConfig c;
  c.per_channel = true;
  c.activation_type = DataType::kInt8;
  c.calibrate_method = CalibrationMethod::kEntropy;
  c.nodes_to_exclude = {"conv1"};
  c.op_types_to_quantize = {"Conv", "Gemm"};
  c.activation_symmetric = true;
  auto back = QuantizationConfig::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->ToJson(), c.ToJson());
}

TEST(QuantizationConfig, AcceptsOnnxRuntimeSpellings) {
  auto c = QuantizationConfig::FromJson(R"({"activation_type": "QUInt8", "weight_type": "QInt8",
      "calibrate_method": "Percentile", "per_channel": true,
      "extra_options": {"WeightSymmetric": true, "CalibPercentile": 99.99}})");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->activation_type, DataType::kUint8);
  EXPECT_EQ(c->calibrate_method, CalibrationMethod::kPercentile);
  EXPECT_DOUBLE_EQ(c->percentile, 99.99);
  EXPECT_TRUE(c->per_channel);
}

TEST(QuantizationConfig, TensorQuantOverrides) {
  auto c = QuantizationConfig::FromJson(R"({"extra_options": {"TensorQuantOverrides": {
      "a": [{"scale": 0.5, "zero_point": 3}], "b": [{"rmin": -1, "rmax": 2, "quant_type": "QInt16"}],
      "w": [{"axis": 0, "symmetric": false, "quant_type": "QUInt8"}]}}})");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(*c->tensor_overrides.at("a").scale, 0.5f);
  EXPECT_EQ(*c->tensor_overrides.at("a").zero_point, 3);
  EXPECT_EQ(*c->tensor_overrides.at("b").rmax, 2.0f);
  EXPECT_EQ(*c->tensor_overrides.at("b").quant_type, DataType::kInt16);
  EXPECT_EQ(*c->tensor_overrides.at("w").axis, 0);
  EXPECT_FALSE(*c->tensor_overrides.at("w").symmetric);
  EXPECT_EQ(*c->tensor_overrides.at("w").quant_type, DataType::kUint8);
  EXPECT_EQ(QuantizationConfig::FromJson(c->ToJson())->ToJson(), c->ToJson());
  auto message = [](const std::string& json) { return QuantizationConfig::FromJson(json).status().message(); };
  EXPECT_EQ(message(R"({"extra_options": {"TensorQuantOverrides": {"a": [{"scale": 0.5}]}}})"),
            "TensorQuantOverrides for 'a' needs either scale and zero_point, or rmin and rmax");
  EXPECT_EQ(message(R"({"extra_options": {"TensorQuantOverrides": {"a": [{"rmin": 1}, {"rmin": 2}]}}})"),
            "TensorQuantOverrides for 'a' must be a list of one object (per-channel activation overrides are not supported)");
  EXPECT_EQ(message(R"({"extra_options": {"TensorQuantOverrides": {"a": [{"scale": -1, "zero_point": 0}]}}})"),
            "TensorQuantOverrides for 'a': scale must be a positive float32, got -1");
  EXPECT_EQ(message(R"({"extra_options": {"TensorQuantOverrides": {"a": [{"quant_type": "float"}]}}})"),
            "TensorQuantOverrides for 'a': quant_type 'float' is not one of uint8, int8, uint16, int16, uint4, int4");
  EXPECT_EQ(message(R"({"extra_options": {"TensorQuantOverrides": {"a": [{"axis": 0, "rmin": 0, "rmax": 1}]}}})"),
            "TensorQuantOverrides for 'a': axis (per channel) does not combine with one scale or range");
  EXPECT_EQ(message(R"({"extra_options": {"TensorQuantOverrides": {"a": [{"axis": 0.5}]}}})"),
            "TensorQuantOverrides for 'a': axis must be an integer");
  EXPECT_EQ(message(R"({"extra_options": {"TensorQuantOverrides": {"a": [{}]}}})"), "TensorQuantOverrides for 'a' sets nothing");
}

TEST(QuantizationConfig, ErrorsNameTheKey) {
  auto message = [](const std::string& json) { return QuantizationConfig::FromJson(json).status().message(); };
  EXPECT_EQ(message("[1, 2]"), "the config is not a JSON object");
  EXPECT_EQ(message("{not json"), "the config is not a JSON object");
  EXPECT_EQ(message(R"({"per_chanel": true})"), "unknown config key 'per_chanel'");
  EXPECT_EQ(message(R"({"per_channel": "yes"})"), "per_channel must be true or false");
  EXPECT_EQ(message(R"({"weight_type": "float16"})"), "weight_type 'float16' is not one of uint8, int8, uint16, int16, uint4, int4");
  EXPECT_EQ(message(R"({"weight_type": "int16"})"), "weight_type must be int8, uint8, int4 or uint4, got int16");
  EXPECT_EQ(message(R"({"activation_type": "QUInt4"})"), "activation_type must be uint8, int8, uint16 or int16, got uint4");
  EXPECT_EQ(message(R"({"weight_type": "QInt4", "mode": "dynamic"})"),
            "weight_type int4 is written by static quantization in the QDQ format (opset 21 DequantizeLinear); for 4-bit "
            "weight-only quantization use weight_bits 4");
  EXPECT_EQ(message(R"({"calibrate_method": "kl"})"),
            "unknown calibration method 'kl'; expected minmax, moving-average, percentile, entropy or mse");
  EXPECT_EQ(message(R"({"calibrate_method": "percentile", "extra_options": {"CalibPercentile": 20}})"),
            "CalibPercentile must be in (50, 100], got 20");
  EXPECT_EQ(message(R"({"quant_format": "QOperator", "activation_type": "int16"})"),
            "the QOperator format needs 8-bit activations, got int16");
  EXPECT_EQ(message(R"({"extra_options": {"Foo": 1}})"), "unknown extra_options key 'Foo'");
  EXPECT_EQ(message(R"({"nodes_to_exclude": [1]})"), "nodes_to_exclude must be a list of strings");
  EXPECT_EQ(message(R"({"mode": "weight_only", "weight_bits": 4.5})"), "weight_bits must be a whole number from 1 to 64, got 4.5");
  EXPECT_EQ(message(R"({"calibration_limit": -1})"), "calibration_limit must be a whole number from 0 to 1099511627776, got -1");
  EXPECT_EQ(message(R"({"extra_options": {"TensorQuantOverrides": {"a": [{"scale": 1e300, "zero_point": 0}]}}})"),
            "TensorQuantOverrides for 'a': scale must be a positive float32, got 1e+300");
  EXPECT_EQ(message(R"({"extra_options": {"TensorQuantOverrides": {"a": [{"scale": 0.5, "zero_point": 2.5}]}}})"),
            "TensorQuantOverrides for 'a': zero_point must be a whole number within 16 bits, got 2.5");
}

}  // namespace
}  // namespace qplay
