// Identities of the convolution ops other layers name (their schemas are in conv.cpp).
#pragma once
#include "ops/op_type.h"

namespace qplay::ops {

inline constexpr OpType kConv = Onnx("Conv"), kConvTranspose = Onnx("ConvTranspose"), kConvInteger = Onnx("ConvInteger"),
                        kQLinearConv = Onnx("QLinearConv");

}  // namespace qplay::ops
