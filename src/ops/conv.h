// Identities of the convolution ops other layers name (their schemas are in conv.cpp).
#pragma once
#include "ops/activation.h"
#include "ops/op_type.h"

namespace qplay::ops {

inline constexpr OpType kConv = Onnx("Conv"), kConvTranspose = Onnx("ConvTranspose"), kConvInteger = Onnx("ConvInteger"),
                        kQLinearConv = Onnx("QLinearConv"), kFusedConv = Microsoft("FusedConv");

// The activations a FusedConv applies (its `activation` attribute), in the order of
// FusedActivation::Kind (kernels/fused_activation.h).
inline constexpr OpType kFusedConvActivations[] = {kRelu, kLeakyRelu, kClip, kHardSigmoid, kHardSwish, kSigmoid, kTanh};

}  // namespace qplay::ops
