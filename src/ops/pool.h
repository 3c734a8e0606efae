// Identities of the pooling ops other layers name (their schemas are in pool.cpp).
#pragma once
#include "ops/op_type.h"

namespace qplay::ops {

inline constexpr OpType kMaxPool = Onnx("MaxPool"), kAveragePool = Onnx("AveragePool"),
                        kGlobalAveragePool = Onnx("GlobalAveragePool");

}  // namespace qplay::ops
