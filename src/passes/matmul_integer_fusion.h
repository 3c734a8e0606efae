// quantize_dynamic writes each MatMul as DynamicQuantizeLinear, MatMulInteger, a Cast to float
// and a Mul by the product of the two scales (itself a Mul). ONNX Runtime runs the last three
// as one com.microsoft MatMulIntegerToFloat, whose kernel scales the accumulators as the GEMM
// stores them; this pass does the same for a session. The bits do not change: the kernel
// multiplies float(acc) by a_scale x b_scale, as the two Muls do.
#pragma once
#include "core/status.h"
#include "ir/model.h"
#include "passes/passes.h"

namespace qplay {

Result<PassReport> FuseMatMulIntegerToFloat(Model& model);

}  // namespace qplay
