// QuantizationConfig: what to quantize and how, with ONNX Runtime's quantize_static option
// names where one exists. Serializable as JSON; Validate() names invalid combinations.
#pragma once
#include <map>
#include <optional>
#include <set>
#include <string>

#include "core/dtype.h"
#include "core/status.h"
#include "quant/observers.h"

namespace qplay {

enum class QuantFormat { kQdq, kQOperator };
// Static: activation ranges calibrated ahead of time (QuantizeStatic). Dynamic: weights
// stored quantized, activations quantized at run time by their own range (QuantizeDynamic).
// Weight-only: weights stored in 8 bits per channel (DequantizeLinear) or in 4- or 8-bit blocks
// (com.microsoft MatMulNBits); activations stay float (QuantizeWeightOnly).
enum class QuantMode { kStatic, kDynamic, kWeightOnly };

// A user's choice for one activation or weight, as ONNX Runtime's TensorQuantOverrides:
// fixed parameters (scale and zero point) or a range to compute them from instead of
// calibrating, its own type and symmetry, and for weights the per-channel axis.
struct TensorOverride {
  std::optional<float> scale;
  std::optional<int32_t> zero_point;
  std::optional<float> rmin, rmax;
  std::optional<DataType> quant_type;
  std::optional<bool> symmetric;
  std::optional<int64_t> axis;  // weights only: quantize per channel along this axis
};

struct QuantizationConfig {
  QuantMode mode = QuantMode::kStatic;
  std::string backend = "onnxruntime";  // a QuantizationBackend preset (quant/backend.h)
  QuantFormat format = QuantFormat::kQdq;
  DataType activation_type = DataType::kUint8;
  DataType weight_type = DataType::kInt8;
  bool per_channel = false;
  bool reduce_range = false;
  bool activation_symmetric = false;  // extra_options ActivationSymmetric
  bool weight_symmetric = true;       // extra_options WeightSymmetric
  CalibrationMethod calibrate_method = CalibrationMethod::kMinMax;
  double percentile = 99.999;         // extra_options CalibPercentile
  std::set<std::string> op_types_to_quantize;  // empty: every op the quantizer supports
  std::set<std::string> nodes_to_exclude;
  int64_t calibration_limit = 0;      // 0: every sample
  std::map<std::string, TensorOverride> tensor_overrides;  // extra_options TensorQuantOverrides
  bool matmul_const_b_only = true;  // extra_options MatMulConstBOnly (dynamic: skip activation x activation MatMuls)
  int64_t weight_bits = 8;          // weight-only: 8 (per channel; blocks in QOperator format) or 4 (blocks along K)
  int64_t block_size = 32;          // weight-only blocks: weights per block (a power of 2, 16..256)
  // weight-only blocks: MatMulNBits' accuracy_level, the lowest precision the runtime may compute
  // A in (0 unset, 1 float32, 2 float16, 3 bfloat16, 4 int8)
  int64_t accuracy_level = 0;
  bool cross_layer_equalization = false;  // equalize consecutive convolutions' channel ranges first
  bool bias_correction = false;           // static: correct biases by the quantized outputs' mean shift
  bool smooth_quant = false;              // extra_options SmoothQuant (static)
  double smooth_quant_alpha = 0.5;        // extra_options SmoothQuantAlpha
  double minimum_real_range = 0;          // extra_options MinimumRealRange: activation ranges at least this wide (0: off)
  bool upgrade_opset = true;              // carry an older model to RequiredOpset() first (false: refuse instead)

  Status Validate() const;
  // The ai.onnx opset the output needs: 10 for QDQ, 11 for DynamicQuantizeLinear, 13 for
  // per-channel (per-axis DequantizeLinear), 21 for int4 weights and (with upgrade_opset)
  // 16-bit activations in ai.onnx Q/DQ; 1 when any opset does.
  // Weight-only, in blocks: com.microsoft MatMulNBits rather than a DequantizeLinear.
  bool WeightsInBlocks() const { return mode == QuantMode::kWeightOnly && (weight_bits == 4 || format == QuantFormat::kQOperator); }
  int64_t RequiredOpset() const;
  std::string ToJson() const;
  static Result<QuantizationConfig> FromJson(const std::string& json);
};

// `value` as a whole number in [min, max]; a fraction, NaN or a value out of range is refused
// naming `key` ("weight_bits must be a whole number from 1 to 64, got 4.5"), not truncated.
Result<int64_t> WholeNumber(const std::string& key, double value, int64_t min, int64_t max);

}  // namespace qplay
