// Identities of the reductions other layers name (their schemas are in reduce.cpp).
#pragma once
#include "ops/op_type.h"

namespace qplay::ops {

inline constexpr OpType kReduceMax = Onnx("ReduceMax"), kReduceMean = Onnx("ReduceMean"), kReduceSum = Onnx("ReduceSum");

}  // namespace qplay::ops
