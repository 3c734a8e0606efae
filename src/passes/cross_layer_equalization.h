// Cross-layer equalization (Nagel et al., "Data-Free Quantization", 2019): for two
// convolutions in a row — A, then B reading A's output through ReLU and max pooling only, which
// commute with positive per-channel scales — output channel i of A is divided by
// s_i = sqrt(r1_i / r2_i) and the matching input channel of B multiplied by it, where r1_i and
// r2_i are the channel's weight ranges in A and in B. The model computes the same function,
// and afterwards both channels span the same range, so per-tensor weight quantization stops
// wasting levels on the widest channel. Dense, grouped-by-channel (depthwise) and pointwise
// pairs are handled; the pass repeats until the scales settle.
#pragma once
#include "passes/passes.h"

namespace qplay {

// BatchNormalization must be folded first (PrepareForQuantization does).
Result<PassReport> EqualizeCrossLayer(Model& model, int max_iterations = 20);

}  // namespace qplay
