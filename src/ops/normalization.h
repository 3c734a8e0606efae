// Identities of the normalization ops other layers name (their schemas are in normalization.cpp).
#pragma once
#include "ops/op_type.h"

namespace qplay::ops {

inline constexpr OpType kBatchNormalization = Onnx("BatchNormalization"), kLayerNormalization = Onnx("LayerNormalization"),
                        kSoftmax = Onnx("Softmax");

}  // namespace qplay::ops
