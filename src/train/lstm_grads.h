// Backpropagation through time for ONNX LSTM (gates i, o, f, c; forward, reverse or
// bidirectional; default activations, no peepholes, clip or coupled input-forget gate, every
// sequence full length): the forward pass recomputed keeping each step's gates, then the
// gradient of Y carried back step by step. Gradients reach X, W, R, B, initial_h and initial_c;
// only output Y may take a gradient (Y_h and Y_c feed nothing trained).
#pragma once
#include "train/op_grads.h"

namespace qplay::train {

Result<std::vector<Tensor>> LstmGradients(const OpBackward& op);

}  // namespace qplay::train
