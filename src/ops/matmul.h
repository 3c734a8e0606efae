// Identities of the matrix-product ops other layers name (their schemas are in matmul.cpp).
#pragma once
#include "ops/op_type.h"

namespace qplay::ops {

inline constexpr OpType kMatMul = Onnx("MatMul"), kGemm = Onnx("Gemm"), kMatMulInteger = Onnx("MatMulInteger"),
                        kQLinearMatMul = Onnx("QLinearMatMul"), kQGemm = Microsoft("QGemm"),
                        kMatMulIntegerToFloat = Microsoft("MatMulIntegerToFloat");

}  // namespace qplay::ops
