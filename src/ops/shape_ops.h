// Identities of the shape ops other layers name (their schemas are in shape_ops.cpp).
#pragma once
#include "ops/op_type.h"

namespace qplay::ops {

inline constexpr OpType kConcat = Onnx("Concat"), kFlatten = Onnx("Flatten"), kReshape = Onnx("Reshape"), kShape = Onnx("Shape"),
                        kSize = Onnx("Size"), kPad = Onnx("Pad");

}  // namespace qplay::ops
