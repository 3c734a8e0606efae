// Weight-only quantization of MatMul and Gemm weights; activations stay float, so no
// calibration data is needed.
//   8 bits, QDQ: int8 (or uint8) per output channel behind a DequantizeLinear that feeds the op.
//   4 bits, or 8 bits in QOperator format: com.microsoft MatMulNBits, blocks of `block_size`
//           weights along K, one scale per block; symmetric blocks use codes around the default
//           zero point 2^(bits-1) (-7..7 around 8, -127..127 around 128), asymmetric blocks
//           store their zero points (packed like the codes); accuracy_level is written on it.
#pragma once
#include "quant/config.h"
#include "quant/static_quantizer.h"

namespace qplay {

Result<QuantizationResult> QuantizeWeightOnly(const Model& model, const QuantizationConfig& config);

}  // namespace qplay
