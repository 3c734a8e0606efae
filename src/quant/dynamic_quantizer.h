// DynamicQuantizer: ONNX Runtime's quantize_dynamic. Weights are stored as 8-bit integers
// ahead of time; activations are quantized while the model runs, each by its own range
// (DynamicQuantizeLinear: uint8, per tensor), so no calibration data is needed.
//
//   MatMul(A, W)     -> DynamicQuantizeLinear(A) -> MatMulInteger(A_q, W_q, A_zp, W_zp)
//                       -> Cast(float) -> Mul(A_scale x W_scale)
//   Gemm(A, W, C)    -> the same with W laid out as [K, N] (and alpha folded into W's scale),
//                       then + beta x C
//   Conv(X, W, B)    -> DynamicQuantizeLinear(X) -> ConvInteger -> Cast -> Mul(scales as
//                       [1, M, 1, ...]) (+ B as [1, M, 1, ...])
//   MatMul(A, B) of two activations, when extra_options.MatMulConstBOnly is false: both
//   operands through DynamicQuantizeLinear.
//   LSTM / GRU       -> the float cell reading its W and R stored as 8-bit integers through
//                       DequantizeLinear (per gate row with per_channel; needs opset 13 then).
#pragma once
#include "quant/config.h"
#include "quant/static_quantizer.h"

namespace qplay {

Result<QuantizationResult> QuantizeDynamic(const Model& model, const QuantizationConfig& config);

}  // namespace qplay
