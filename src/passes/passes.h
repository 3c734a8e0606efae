// Graph transforms run before quantization. Each keeps the float model's outputs (up to
// rounding) and reports what it changed, one line per change naming the nodes.
#pragma once
#include <string>
#include <vector>

#include "core/status.h"
#include "onnx/model.h"

namespace qplay {

struct PassReport {
  std::string pass;
  std::vector<std::string> changes;
};

// Constant nodes and nodes whose inputs are all constant become initializers.
Result<PassReport> FoldConstants(Model& model);
// Identity and inference-mode Dropout nodes are bypassed.
Result<PassReport> RemoveIdentities(Model& model);
// BatchNormalization after Conv, ConvTranspose (group 1) or Gemm is folded into its weights and bias.
Result<PassReport> FoldBatchNormalization(Model& model);

// The three above in order (constants, identities, batch norms), then shape inference again.
Result<std::vector<PassReport>> PrepareForQuantization(Model& model);

}  // namespace qplay
