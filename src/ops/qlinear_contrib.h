// Identities of ONNX Runtime's QLinear contrib ops other layers name (their schemas are in qlinear_contrib.cpp).
#pragma once
#include "ops/op_type.h"

namespace qplay::ops {

inline constexpr OpType kQLinearConcat = Microsoft("QLinearConcat"), kQLinearAdd = Microsoft("QLinearAdd"),
                        kQLinearMul = Microsoft("QLinearMul"), kQLinearSigmoid = Microsoft("QLinearSigmoid"),
                        kQLinearLeakyRelu = Microsoft("QLinearLeakyRelu"), kQLinearSoftmax = Microsoft("QLinearSoftmax"),
                        kQLinearAveragePool = Microsoft("QLinearAveragePool"),
                        kQLinearGlobalAveragePool = Microsoft("QLinearGlobalAveragePool"),
                        kQLinearWhere = Microsoft("QLinearWhere");

}  // namespace qplay::ops
