#include "quant/config.h"

#include "quant/backend.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <tuple>

namespace qplay {
namespace {

Result<DataType> ParseType(const std::string& name, const std::string& key) {
  // ONNX Runtime's QuantType names, and numpy's.
  const std::tuple<DataType, const char*, const char*> kNames[] = {
      {DataType::kUint8, "uint8", "QUInt8"}, {DataType::kInt8, "int8", "QInt8"},   {DataType::kUint16, "uint16", "QUInt16"},
      {DataType::kInt16, "int16", "QInt16"}, {DataType::kUint4, "uint4", "QUInt4"}, {DataType::kInt4, "int4", "QInt4"}};
  for (const auto& [type, numpy, ort] : kNames)
    if (name == numpy || name == ort) return type;
  return Fail(StatusCode::kInvalidArgument, key, " '", name, "' is not one of uint8, int8, uint16, int16, uint4, int4");
}

const char* ModeName(QuantMode mode) {
  return mode == QuantMode::kStatic ? "static" : mode == QuantMode::kDynamic ? "dynamic" : "weight_only";
}

}  // namespace

Status QuantizationConfig::Validate() const {
  auto known = FindBackend(backend);
  if (!known.ok()) return known.status();
  if (IsSixteenBitInteger(weight_type)) return Fail(StatusCode::kInvalidArgument, "weight_type must be int8, uint8, int4 or uint4, got ", DataTypeName(weight_type));
  if (IsFourBit(activation_type))
    return Fail(StatusCode::kInvalidArgument, "activation_type must be uint8, int8, uint16 or int16, got ", DataTypeName(activation_type));
  if (IsFourBit(weight_type) && (mode != QuantMode::kStatic || format != QuantFormat::kQdq))
    return Fail(StatusCode::kInvalidArgument, "weight_type ", DataTypeName(weight_type),
                " is written by static quantization in the QDQ format (opset 21 DequantizeLinear); for 4-bit weight-only ",
                "quantization use weight_bits 4");
  if (reduce_range && (IsSixteenBitInteger(activation_type) || IsFourBit(weight_type)))
    return Fail(StatusCode::kInvalidArgument, "reduce_range applies to 8-bit types, not activation_type ",
                DataTypeName(activation_type), " with weight_type ", DataTypeName(weight_type));
  if (calibrate_method == CalibrationMethod::kPercentile && !(percentile > 50 && percentile <= 100))
    return Fail(StatusCode::kInvalidArgument, "CalibPercentile must be in (50, 100], got ", percentile);
  if (!(minimum_real_range >= 0 && minimum_real_range <= 1e30))
    return Fail(StatusCode::kInvalidArgument, "MinimumRealRange must be a finite number >= 0, got ", minimum_real_range);
  if (!(smooth_quant_alpha >= 0 && smooth_quant_alpha <= 1))
    return Fail(StatusCode::kInvalidArgument, "SmoothQuantAlpha must be in [0, 1], got ", smooth_quant_alpha);
  if (weight_bits != 4 && weight_bits != 8) return Fail(StatusCode::kInvalidArgument, "weight_bits must be 4 or 8, got ", weight_bits);
  if (block_size < 16 || block_size > 256 || (block_size & (block_size - 1)))
    return Fail(StatusCode::kInvalidArgument, "block_size must be a power of 2 from 16 to 256, got ", block_size);
  if (weight_bits == 4 && mode != QuantMode::kWeightOnly)
    return Fail(StatusCode::kInvalidArgument, "4-bit weights are written for mode weight_only only");
  if (accuracy_level < 0 || accuracy_level > 4)
    return Fail(StatusCode::kInvalidArgument, "accuracy_level must be 0 (unset), 1 (float32), 2 (float16), 3 (bfloat16) or 4 (int8), got ",
                accuracy_level);
  if (accuracy_level != 0 && !WeightsInBlocks())
    return Fail(StatusCode::kInvalidArgument, "accuracy_level applies to MatMulNBits, which weight-only quantization writes for 4 bits, ",
                "or for 8 bits in the QOperator format");
  if (format == QuantFormat::kQOperator && activation_type != DataType::kUint8 && activation_type != DataType::kInt8)
    return Fail(StatusCode::kInvalidArgument, "the QOperator format needs 8-bit activations, got ", DataTypeName(activation_type));
  return Status::Ok();
}

int64_t QuantizationConfig::RequiredOpset() const {
  switch (mode) {
    case QuantMode::kStatic:
      // 4-bit weights need opset 21's DequantizeLinear, and 16-bit activations its Q/DQ too, unless
      // the model keeps its opset: then ONNX Runtime's com.microsoft Q/DQ carry them.
      if (IsFourBit(weight_type) || (upgrade_opset && IsSixteenBitInteger(activation_type))) return 21;
      for (const auto& [_, o] : tensor_overrides)
        if (o.quant_type && IsFourBit(*o.quant_type)) return 21;
      return per_channel ? 13 : 10;
    case QuantMode::kDynamic: return per_channel ? 13 : 11;
    case QuantMode::kWeightOnly: return WeightsInBlocks() ? 1 : 13;  // blocks: com.microsoft MatMulNBits
  }
  return 1;
}

std::string QuantizationConfig::ToJson() const {
  nlohmann::json j = {
      {"mode", ModeName(mode)},
      {"weight_bits", weight_bits},
      {"block_size", block_size},
      {"accuracy_level", accuracy_level},
      {"cross_layer_equalization", cross_layer_equalization},
      {"bias_correction", bias_correction},
      {"upgrade_opset", upgrade_opset},
      {"backend", backend},
      {"quant_format", format == QuantFormat::kQdq ? "QDQ" : "QOperator"},
      {"activation_type", DataTypeName(activation_type)},
      {"weight_type", DataTypeName(weight_type)},
      {"per_channel", per_channel},
      {"reduce_range", reduce_range},
      {"calibrate_method", CalibrationMethodName(calibrate_method)},
      {"op_types_to_quantize", op_types_to_quantize},
      {"nodes_to_exclude", nodes_to_exclude},
      {"calibration_limit", calibration_limit},
      {"extra_options", {{"ActivationSymmetric", activation_symmetric}, {"WeightSymmetric", weight_symmetric},
                         {"CalibPercentile", percentile}, {"MatMulConstBOnly", matmul_const_b_only},
                         {"SmoothQuant", smooth_quant}, {"SmoothQuantAlpha", smooth_quant_alpha},
                         {"MinimumRealRange", minimum_real_range}}},
  };
  for (const auto& [name, o] : tensor_overrides) {
    nlohmann::json entry = nlohmann::json::object();
    if (o.scale) entry["scale"] = *o.scale;
    if (o.zero_point) entry["zero_point"] = *o.zero_point;
    if (o.rmin) entry["rmin"] = *o.rmin;
    if (o.rmax) entry["rmax"] = *o.rmax;
    if (o.quant_type) entry["quant_type"] = DataTypeName(*o.quant_type);
    if (o.symmetric) entry["symmetric"] = *o.symmetric;
    if (o.axis) entry["axis"] = *o.axis;
    j["extra_options"]["TensorQuantOverrides"][name] = nlohmann::json::array({entry});
  }
  return j.dump(2);
}

namespace {

// Typed reads that fail with the key's name instead of throwing (the wasm build has no
// exception handling, and a bad config must never abort it).
class JsonReader {
 public:
  explicit JsonReader(const nlohmann::json& object) : object_(object) {}

  Status Bool(const char* key, bool& out) const {
    if (!object_.contains(key)) return Status::Ok();
    if (!object_[key].is_boolean()) return Fail(StatusCode::kInvalidArgument, key, " must be true or false");
    out = object_[key].get<bool>();
    return Status::Ok();
  }
  Status Number(const char* key, double& out) const {
    if (!object_.contains(key)) return Status::Ok();
    if (!object_[key].is_number()) return Fail(StatusCode::kInvalidArgument, key, " must be a number");
    out = object_[key].get<double>();
    return Status::Ok();
  }
  Status WholeNumber(const char* key, int64_t& out, int64_t min, int64_t max) const {
    double value = static_cast<double>(out);
    QPLAY_RETURN_IF_ERROR(Number(key, value));
    auto whole = qplay::WholeNumber(key, value, min, max);
    if (!whole.ok()) return whole.status();
    out = *whole;
    return Status::Ok();
  }
  Status String(const char* key, std::string& out) const {
    if (!object_.contains(key)) return Status::Ok();
    if (!object_[key].is_string()) return Fail(StatusCode::kInvalidArgument, key, " must be a string");
    out = object_[key].get<std::string>();
    return Status::Ok();
  }
  Status Strings(const char* key, std::set<std::string>& out) const {
    if (!object_.contains(key)) return Status::Ok();
    const auto& v = object_[key];
    if (!v.is_array()) return Fail(StatusCode::kInvalidArgument, key, " must be a list of strings");
    for (const auto& item : v) {
      if (!item.is_string()) return Fail(StatusCode::kInvalidArgument, key, " must be a list of strings");
      out.insert(item.get<std::string>());
    }
    return Status::Ok();
  }
  Status OnlyKeys(const std::set<std::string>& allowed, const char* what) const {
    for (const auto& [key, _] : object_.items())
      if (!allowed.count(key)) return Fail(StatusCode::kInvalidArgument, "unknown ", what, " key '", key, "'");
    return Status::Ok();
  }

 private:
  const nlohmann::json& object_;
};

// extra_options.TensorQuantOverrides: { "tensor": [ { "scale": s, "zero_point": z } | { "rmin": a, "rmax": b },
// optionally with "quant_type", "symmetric" and (weights) "axis" ] }
Status ReadOverrides(const nlohmann::json& extra, std::map<std::string, TensorOverride>& out) {
  if (!extra.contains("TensorQuantOverrides")) return Status::Ok();
  const auto& all = extra["TensorQuantOverrides"];
  if (!all.is_object()) return Fail(StatusCode::kInvalidArgument, "TensorQuantOverrides must map tensor names to lists");
  for (const auto& [name, list] : all.items()) {
    if (!list.is_array() || list.size() != 1 || !list[0].is_object())
      return Fail(StatusCode::kInvalidArgument, "TensorQuantOverrides for '", name,
                  "' must be a list of one object (per-channel activation overrides are not supported)");
    const JsonReader read(list[0]);
    QPLAY_RETURN_IF_ERROR(
        read.OnlyKeys({"scale", "zero_point", "rmin", "rmax", "quant_type", "symmetric", "axis"}, "TensorQuantOverrides"));
    double scale = 0, zero_point = 0, rmin = 0, rmax = 0, axis = 0;
    bool symmetric = false;
    std::string type;
    QPLAY_RETURN_IF_ERROR(read.Number("scale", scale));
    QPLAY_RETURN_IF_ERROR(read.Number("zero_point", zero_point));
    QPLAY_RETURN_IF_ERROR(read.Number("rmin", rmin));
    QPLAY_RETURN_IF_ERROR(read.Number("rmax", rmax));
    QPLAY_RETURN_IF_ERROR(read.Number("axis", axis));
    QPLAY_RETURN_IF_ERROR(read.Bool("symmetric", symmetric));
    QPLAY_RETURN_IF_ERROR(read.String("quant_type", type));
    TensorOverride o;
    const auto& e = list[0];
    const std::string where = "TensorQuantOverrides for '" + name + "'";
    if (e.contains("scale") != e.contains("zero_point") || e.contains("rmin") != e.contains("rmax") ||
        (e.contains("scale") && e.contains("rmin")))
      return Fail(StatusCode::kInvalidArgument, where, " needs either scale and zero_point, or rmin and rmax");
    if (e.contains("scale")) {
      if (!(scale > 0 && scale <= std::numeric_limits<float>::max()))
        return Fail(StatusCode::kInvalidArgument, where, ": scale must be a positive float32, got ", scale);
      if (zero_point != std::floor(zero_point) || std::abs(zero_point) > 65535)
        return Fail(StatusCode::kInvalidArgument, where, ": zero_point must be a whole number within 16 bits, got ", zero_point);
      o.scale = static_cast<float>(scale);
      o.zero_point = static_cast<int32_t>(zero_point);
    }
    if (e.contains("rmin")) {
      if (!(rmin <= rmax)) return Fail(StatusCode::kInvalidArgument, where, ": rmin > rmax");
      if (!(std::abs(rmin) <= std::numeric_limits<float>::max() && std::abs(rmax) <= std::numeric_limits<float>::max()))
        return Fail(StatusCode::kInvalidArgument, where, ": rmin and rmax must be float32 values, got ", rmin, " and ", rmax);
      o.rmin = static_cast<float>(rmin);
      o.rmax = static_cast<float>(rmax);
    }
    if (!type.empty()) {
      auto t = ParseType(type, where + ": quant_type");
      if (!t.ok()) return t.status();
      o.quant_type = *t;
    }
    if (e.contains("symmetric")) o.symmetric = symmetric;
    if (e.contains("axis")) {
      if (axis != static_cast<int64_t>(axis)) return Fail(StatusCode::kInvalidArgument, where, ": axis must be an integer");
      if (o.scale || o.rmin)
        return Fail(StatusCode::kInvalidArgument, where, ": axis (per channel) does not combine with one scale or range");
      o.axis = static_cast<int64_t>(axis);
    }
    if (!o.scale && !o.rmin && !o.quant_type && !o.symmetric && !o.axis)
      return Fail(StatusCode::kInvalidArgument, where, " sets nothing");
    out[name] = o;
  }
  return Status::Ok();
}

}  // namespace

Result<int64_t> WholeNumber(const std::string& key, double value, int64_t min, int64_t max) {
  if (value >= static_cast<double>(min) && value <= static_cast<double>(max) && value == std::floor(value))
    return static_cast<int64_t>(value);
  char given[32];
  std::snprintf(given, sizeof given, "%.15g", value);
  return Fail(StatusCode::kInvalidArgument, key, " must be a whole number from ", min, " to ", max, ", got ", given);
}

Result<QuantizationConfig> QuantizationConfig::FromJson(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Fail(StatusCode::kInvalidArgument, "the config is not a JSON object");
  const JsonReader read(j);
  QPLAY_RETURN_IF_ERROR(read.OnlyKeys({"mode", "weight_bits", "block_size", "accuracy_level", "cross_layer_equalization", "bias_correction", "upgrade_opset", "backend", "quant_format", "activation_type", "weight_type", "per_channel", "reduce_range",
                                       "calibrate_method", "op_types_to_quantize", "nodes_to_exclude",
                                       "calibration_limit", "extra_options"}, "config"));
  QuantizationConfig c;
  std::string format, activation, weight, method, mode;
  // The backend's defaults first; every key given explicitly overrides them.
  QPLAY_RETURN_IF_ERROR(read.String("backend", c.backend));
  auto backend = FindBackend(c.backend);
  if (!backend.ok()) return backend.status();
  backend->ApplyDefaults(c);
  QPLAY_RETURN_IF_ERROR(read.String("quant_format", format));
  QPLAY_RETURN_IF_ERROR(read.String("mode", mode));
  if (!mode.empty()) {
    if (mode != "static" && mode != "dynamic" && mode != "weight_only")
      return Fail(StatusCode::kInvalidArgument, "mode '", mode, "' is not static, dynamic or weight_only");
    c.mode = mode == "static" ? QuantMode::kStatic : mode == "dynamic" ? QuantMode::kDynamic : QuantMode::kWeightOnly;
  }
  QPLAY_RETURN_IF_ERROR(read.WholeNumber("weight_bits", c.weight_bits, 1, 64));
  QPLAY_RETURN_IF_ERROR(read.WholeNumber("block_size", c.block_size, 1, int64_t{1} << 30));
  QPLAY_RETURN_IF_ERROR(read.WholeNumber("accuracy_level", c.accuracy_level, 0, 4));
  QPLAY_RETURN_IF_ERROR(read.String("activation_type", activation));
  QPLAY_RETURN_IF_ERROR(read.String("weight_type", weight));
  QPLAY_RETURN_IF_ERROR(read.String("calibrate_method", method));
  QPLAY_RETURN_IF_ERROR(read.Bool("per_channel", c.per_channel));
  QPLAY_RETURN_IF_ERROR(read.Bool("reduce_range", c.reduce_range));
  QPLAY_RETURN_IF_ERROR(read.Bool("cross_layer_equalization", c.cross_layer_equalization));
  QPLAY_RETURN_IF_ERROR(read.Bool("bias_correction", c.bias_correction));
  QPLAY_RETURN_IF_ERROR(read.Bool("upgrade_opset", c.upgrade_opset));
  QPLAY_RETURN_IF_ERROR(read.Strings("op_types_to_quantize", c.op_types_to_quantize));
  QPLAY_RETURN_IF_ERROR(read.Strings("nodes_to_exclude", c.nodes_to_exclude));
  QPLAY_RETURN_IF_ERROR(read.WholeNumber("calibration_limit", c.calibration_limit, 0, int64_t{1} << 40));
  if (!format.empty()) {
    if (format != "QDQ" && format != "QOperator")
      return Fail(StatusCode::kInvalidArgument, "quant_format '", format, "' is not QDQ or QOperator");
    c.format = format == "QDQ" ? QuantFormat::kQdq : QuantFormat::kQOperator;
  }
  for (auto [key, name, field] : {std::tuple<const char*, std::string*, DataType*>{"activation_type", &activation, &c.activation_type},
                                  {"weight_type", &weight, &c.weight_type}})
    if (!name->empty()) {
      auto t = ParseType(*name, key);
      if (!t.ok()) return t.status();
      *field = t.value();
    }
  if (!method.empty()) {
    for (char& ch : method) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));  // "MinMax", "Entropy"...
    auto m = ParseCalibrationMethod(method);
    if (!m.ok()) return m.status();
    c.calibrate_method = m.value();
  }
  if (j.contains("extra_options")) {
    if (!j["extra_options"].is_object()) return Fail(StatusCode::kInvalidArgument, "extra_options must be an object");
    const JsonReader extra(j["extra_options"]);
    QPLAY_RETURN_IF_ERROR(
        extra.OnlyKeys({"ActivationSymmetric", "WeightSymmetric", "CalibPercentile", "TensorQuantOverrides", "MatMulConstBOnly",
                        "SmoothQuant", "SmoothQuantAlpha", "MinimumRealRange"},
                       "extra_options"));
    QPLAY_RETURN_IF_ERROR(ReadOverrides(j["extra_options"], c.tensor_overrides));
    QPLAY_RETURN_IF_ERROR(extra.Bool("ActivationSymmetric", c.activation_symmetric));
    QPLAY_RETURN_IF_ERROR(extra.Bool("WeightSymmetric", c.weight_symmetric));
    QPLAY_RETURN_IF_ERROR(extra.Number("CalibPercentile", c.percentile));
    QPLAY_RETURN_IF_ERROR(extra.Bool("MatMulConstBOnly", c.matmul_const_b_only));
    QPLAY_RETURN_IF_ERROR(extra.Bool("SmoothQuant", c.smooth_quant));
    QPLAY_RETURN_IF_ERROR(extra.Number("SmoothQuantAlpha", c.smooth_quant_alpha));
    QPLAY_RETURN_IF_ERROR(extra.Number("MinimumRealRange", c.minimum_real_range));
  }
  QPLAY_RETURN_IF_ERROR(c.Validate());
  return c;
}

}  // namespace qplay
