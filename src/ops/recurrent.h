// Identities of the recurrent ops other layers name (their schemas are in recurrent.cpp).
#pragma once
#include "ops/op_type.h"

namespace qplay::ops {

inline constexpr OpType kLSTM = Onnx("LSTM"), kGRU = Onnx("GRU"), kDynamicQuantizeLSTM = Microsoft("DynamicQuantizeLSTM");

}  // namespace qplay::ops
