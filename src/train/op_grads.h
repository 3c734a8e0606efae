// The backward pass of every float op quantization-aware training differentiates, in one
// table by op type: the convolution family (layers.h), what the bundled transformer and models
// like it use (broadcasting Add/Sub/Mul/Div, MatMul, LayerNormalization, Softmax, Erf,
// Sigmoid, Tanh, HardSwish, ReduceMean/ReduceSum), the LSTM the bundled recurrent model uses
// (lstm_grads.h) and every op that only moves elements (Transpose, Slice, Gather, Concat,
// Expand, Tile, the reshapes). Gradients are checked against finite differences in
// tests/train_ops_test.cpp and tests/train_layers_test.cpp.
#pragma once
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/ir.h"
#include "kernels/registry.h"

namespace qplay::train {

// What a backward pass sees: the node, its forward inputs (nullptr where omitted) and
// output 0, and the gradient of that output.
struct OpBackward {
  const Node& node;
  int64_t opset;
  const std::vector<const Tensor*>& inputs;
  const Tensor& output;
  const Tensor& dy;
};

// The outputs of the node's registry kernel on `inputs` (nullptr where omitted); training runs
// no subgraphs.
Result<std::vector<Tensor>> RunKernel(const Node& node, int64_t opset, std::vector<const Tensor*> inputs,
                                      KernelVariant variant = KernelVariant::kReference);

// True when OpGradients differentiates the node's op.
bool HasOpGradients(const Node& node);

// True when the node's output depends on no value training changes (its schema says so).
bool NeedsNoGradient(const Node& node);

// True when OpGradients passes a gradient to input i of `node` (when that input is float).
bool GradientReaches(const Node& node, size_t i);

// The gradient of each input (an empty tensor for inputs that take none: integer, shape and
// index inputs).
Result<std::vector<Tensor>> OpGradients(const OpBackward& op);

}  // namespace qplay::train
