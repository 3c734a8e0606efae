// Rewrites a model for running, as ONNX Runtime's graph optimizations do when a session is
// created: constants folded (Constant nodes become initializers, so kernels pack their weights
// once), identities bypassed, BatchNormalization folded into the Conv, ConvTranspose or Gemm
// before it, decomposed ops fused where the opset has them and LayerNormalization at any opset
// (passes/decomposed_ops.h), each float Conv's activation fused into it as a com.microsoft
// FusedConv, and quantize_dynamic's MatMulInteger, Cast and scale Mul into a com.microsoft
// MatMulIntegerToFloat (passes/matmul_integer_fusion.h). Values inside a fused group no longer
// exist, so runs that observe intermediates (calibration, per-layer error) use the model as
// written (SessionOptions::optimize).
#pragma once
#include <vector>

#include "core/status.h"
#include "ir/model.h"
#include "passes/passes.h"

namespace qplay {

// A float Conv whose only reader is Relu, LeakyRelu, Clip (constant bounds), HardSigmoid,
// HardSwish (or its decomposed form, at any opset), Sigmoid or Tanh becomes one FusedConv.
Result<PassReport> FuseConvActivations(Model& model);

// The passes above in order, then types and shapes inferred again.
Result<std::vector<PassReport>> OptimizeForInference(Model& model);

}  // namespace qplay
