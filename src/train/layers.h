// Backward passes of the convolution family quantization-aware training runs on float NCHW
// tensors (Conv on the SIMD float GEMM, the rest plain loops), the forward passes that record
// what their backward needs (Gemm, MaxPool's argmax), fake quantization and the loss; the
// other forward passes are the runtime's kernels. Gradients are checked against finite
// differences in tests/train_layers_test.cpp. Each backward takes the forward's inputs and
// the gradient of its output and returns the gradients of the inputs.
#pragma once
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/ir.h"

namespace qplay::train {

// The gradients of a 2-D convolution (any group, strides, pads, dilations) whose forward pass
// is the runtime's Conv kernel.
struct ConvGrads {
  Tensor dx, dw, db;
};
Result<ConvGrads> ConvBackward(const Node& node, const Tensor& x, const Tensor& w, bool has_bias, const Tensor& dy);

// Gemm with transA = 0, alpha = beta = 1: y = x · W (or W' with transB) + b.
Result<Tensor> GemmForward(const Node& node, const Tensor& x, const Tensor& w, const Tensor& b);
struct GemmGrads {
  Tensor dx, dw, db;
};
GemmGrads GemmBackward(const Node& node, const Tensor& x, const Tensor& w, bool has_bias, const Tensor& dy);

// 2-D max pooling; `argmax` keeps, per output, the input index it took.
Result<Tensor> MaxPoolForward(const Node& node, const Tensor& x, std::vector<int64_t>& argmax);
Tensor MaxPoolBackward(const Tensor& x, const std::vector<int64_t>& argmax, const Tensor& dy);

// 2-D average pooling's gradient (its forward pass is the runtime's kernel): each output's
// gradient shared by the inputs it averaged, over the divisor the kernel used.
Result<Tensor> AveragePoolBackward(const Node& node, const Tensor& x, const Tensor& dy);

// Global average pooling's gradient: dy shared equally by each plane's values.
Tensor GlobalAveragePoolBackward(const Tensor& x, const Tensor& dy);

// Relu and Clip, y = clamp(x, lo, hi): the gradient passes where x is inside.
Tensor ClampBackward(const Tensor& x, float lo, float hi, const Tensor& dy);

// Quantize then dequantize with (scale, zero point, [qmin, qmax]); the straight-through
// estimator passes the gradient where the level was not clamped.
struct FakeQuant {
  float scale = 1;
  int32_t zero_point = 0, qmin = 0, qmax = 255;
};
// One value fake-quantized; `passes`: whether the estimator passes its gradient.
float FakeQuantOne(float x, const FakeQuant& q, bool& passes);
Tensor FakeQuantForward(const Tensor& x, const FakeQuant& q);
Tensor FakeQuantBackward(const Tensor& x, const FakeQuant& q, const Tensor& dy);

// LSQ (learned step size): the gradient of sum(dy * FakeQuantForward(x)) with respect to the
// scale, the zero point held fixed: (round(x/s) − x/s) inside the range, (level − zero point)
// where clamped. (LSQ's gradient scale is applied by the caller.)
double FakeQuantScaleGrad(const Tensor& x, const FakeQuant& q, const Tensor& dy);

// Mean softmax cross-entropy of logits [N, classes] against labels; fills `dlogits`.
Result<double> SoftmaxCrossEntropy(const Tensor& logits, const Tensor& labels, Tensor& dlogits);

}  // namespace qplay::train
