// Identities of ONNX Runtime's ops on weights stored in blocks of 2 to 8 bits: MatMulNBits and
// GatherBlockQuantized (their schemas are in block_quantized.cpp).
#pragma once
#include "ops/op_type.h"

namespace qplay::ops {

inline constexpr OpType kMatMulNBits = Microsoft("MatMulNBits"), kGatherBlockQuantized = Microsoft("GatherBlockQuantized");

}  // namespace qplay::ops
