// Identities of the activation ops other layers name (their schemas are in activation.cpp).
#pragma once
#include "ops/op_type.h"

namespace qplay::ops {

inline constexpr OpType kRelu = Onnx("Relu"), kLeakyRelu = Onnx("LeakyRelu"), kClip = Onnx("Clip"), kSigmoid = Onnx("Sigmoid"),
                        kTanh = Onnx("Tanh"), kHardSigmoid = Onnx("HardSigmoid"), kHardSwish = Onnx("HardSwish"), kGelu = Onnx("Gelu"),
                        kMicrosoftGelu = Microsoft("Gelu");

}  // namespace qplay::ops
