// Identities of ONNX Runtime's fused attention ops (their schemas are in attention.cpp).
#pragma once
#include "ops/op_type.h"

namespace qplay::ops {

inline constexpr OpType kAttention = Microsoft("Attention"), kQAttention = Microsoft("QAttention");

}  // namespace qplay::ops
