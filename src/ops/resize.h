// Identities of the resampling ops other layers name (their schemas are in resize.cpp).
#pragma once
#include "ops/op_type.h"

namespace qplay::ops {

inline constexpr OpType kResize = Onnx("Resize"), kUpsample = Onnx("Upsample");

}  // namespace qplay::ops
