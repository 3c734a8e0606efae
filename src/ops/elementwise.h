// Identities of the element-wise ops other layers name (their schemas are in elementwise.cpp).
#pragma once
#include "ops/op_type.h"

namespace qplay::ops {

inline constexpr OpType kAdd = Onnx("Add"), kSub = Onnx("Sub"), kMul = Onnx("Mul"), kDiv = Onnx("Div"), kPow = Onnx("Pow"),
                        kSqrt = Onnx("Sqrt"), kReciprocal = Onnx("Reciprocal"), kErf = Onnx("Erf"), kExp = Onnx("Exp"),
                        kWhere = Onnx("Where");

}  // namespace qplay::ops
