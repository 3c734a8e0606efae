// Weight-only quantization of MatMul and Gemm weights; activations stay float, so no
// calibration data is needed.
//   8 bits: int8 (or uint8) per output channel behind a DequantizeLinear that feeds the op.
//   4 bits: com.microsoft MatMulNBits, blocks of `block_size` weights along K, one scale per
//           block; symmetric blocks use codes -7..7 around the default zero point 8, asymmetric
//           blocks store their zero points (packed two per byte).
#pragma once
#include "quant/config.h"
#include "quant/static_quantizer.h"

namespace qplay {

Result<QuantizationResult> QuantizeWeightOnly(const Model& model, const QuantizationConfig& config);

}  // namespace qplay
