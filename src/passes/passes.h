// Graph transforms run before quantization. Each keeps the float model's outputs (up to
// rounding) and reports what it changed, one line per change naming the nodes.
#pragma once
#include <initializer_list>
#include <string>
#include <vector>

#include "core/status.h"
#include "ir/model.h"

namespace qplay {

struct PassReport {
  std::string pass;
  std::vector<std::string> changes;
};

// Constant nodes and nodes whose inputs are all constant become initializers. With
// `keep_size`, a node whose outputs would outweigh its inputs (a DequantizeLinear of 8-bit
// weights, an Expand) is left to run, so that the model does not grow.
Result<PassReport> FoldConstants(Model& model, bool keep_size = false);
// Identity and inference-mode Dropout nodes are bypassed.
Result<PassReport> RemoveIdentities(Model& model);
// BatchNormalization after Conv, ConvTranspose (group 1) or Gemm is folded into its weights and bias.
Result<PassReport> FoldBatchNormalization(Model& model);

// MatMul of a 2-D activation by a constant 2-D weight, followed by Add of a constant row
// bias, becomes one Gemm (as ONNX Runtime's MatMulAddFusion and TFLite's fully connected
// do), so the bias is quantized to int32 with the weight.
Result<PassReport> FuseMatMulAddIntoGemm(Model& model);

using Pass = Result<PassReport> (*)(Model& model);
// Runs `passes` in order, stopping at the first error, then infers types and shapes again.
Result<std::vector<PassReport>> RunPasses(Model& model, std::initializer_list<Pass> passes);

// The four above in order (constants, identities, batch norms, MatMul + Add), then decomposed
// ops fused where the opset allows (decomposed_ops.h), then shape inference again.
Result<std::vector<PassReport>> PrepareForQuantization(Model& model);

}  // namespace qplay
