// SmoothQuant (Xiao et al., 2023): activations with a few large channels quantize badly, the
// weights that read them quantize easily. For the input X of MatMul/Gemm nodes with constant
// weights, each input channel j is divided by s_j = max|X_j|^alpha / max|W_j|^(1-alpha) and the
// weights' row j multiplied by it: the product is unchanged, the activation's channels are
// flattened. max|X_j| comes from the calibration samples; every such node reading the same X
// shares one s (its max|W_j| over all of them). The division is folded into the
// LayerNormalization that produces X when only those nodes read it, else a Mul is inserted.
#pragma once
#include "passes/passes.h"
#include "quant/calibrator.h"

namespace qplay {

Result<PassReport> SmoothActivations(Model& model, const SampleSet& samples, double alpha, int64_t limit);

}  // namespace qplay
