// QDQ fusion: rewrites a QDQ model into ONNX Runtime's QOperator format, as ONNX Runtime
// does before it executes one. Each DequantizeLinear -> op -> QuantizeLinear group that has an
// integer operator becomes that one node: QLinearConv, QLinearMatMul, and the com.microsoft
// QGemm, QLinearAdd, QLinearMul, QLinearSigmoid, QLinearLeakyRelu, QLinearSoftmax,
// QLinearAveragePool, QLinearGlobalAveragePool and QLinearConcat. Data-movement ops whose
// output keeps the input's parameters (MaxPool, Reshape, Transpose, ...) run on the 8-bit
// tensor directly. Every other node keeps its Q/DQ pairs, so the model stays complete.
// The StaticQuantizer writes its QOperator format with it; the runtime executes QDQ models
// through it (runtime/session.h), keeping the float simulation as the oracle.
#pragma once
#include <string>
#include <vector>

#include "ir/model.h"

namespace qplay {

// Rewrites `model` in place; returns the names of the nodes that became integer operators.
Result<std::vector<std::string>> FuseQdqGroups(Model& model);

}  // namespace qplay
