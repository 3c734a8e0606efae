// Identity of MatMulNBits (its schema is in matmul_nbits.cpp).
#pragma once
#include "ops/op_type.h"

namespace qplay::ops {

inline constexpr OpType kMatMulNBits = Microsoft("MatMulNBits");

}  // namespace qplay::ops
