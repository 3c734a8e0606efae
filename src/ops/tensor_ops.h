// Identities of the tensor ops other layers name (their schemas are in tensor_ops.cpp).
#pragma once
#include "ops/op_type.h"

namespace qplay::ops {

inline constexpr OpType kCast = Onnx("Cast"), kConstant = Onnx("Constant"), kConstantOfShape = Onnx("ConstantOfShape"),
                        kRange = Onnx("Range"), kGather = Onnx("Gather");

}  // namespace qplay::ops
