// The activation a com.microsoft FusedConv applies after its convolution (and the optional sum
// input Z): its `activation` attribute (Relu, LeakyRelu, Clip, HardSigmoid, Sigmoid, Tanh as
// ONNX Runtime's, and HardSwish, which qplay's own inference optimizer also writes) with
// `activation_params` (LeakyRelu's alpha; Clip's min and max; HardSigmoid's alpha and beta).
// The fast standalone activation kernels apply the same. Vector code computes what the scalar
// functions of kernels/activation_functions.h do, bit for bit (NaN payloads aside).
#pragma once
#include <string>

#include "core/status.h"
#include "ir/ir.h"
#include "kernels/kernel.h"

namespace qplay {

class FusedActivation {
 public:
  enum class Kind { kIdentity, kRelu, kLeakyRelu, kClip, kHardSigmoid, kHardSwish, kSigmoid, kTanh };

  // a: LeakyRelu's alpha, Clip's min, HardSigmoid's alpha; b: Clip's max, HardSigmoid's beta.
  explicit FusedActivation(Kind kind = Kind::kIdentity, float a = 0, float b = 0) : kind_(kind), a_(a), b_(b) {}

  // A FusedConv node's activation, or an error naming an unknown one or missing parameters.
  static Result<FusedActivation> Of(const Node& node);

  // y[i] = activation(x[i] + z[i]) for i < count; z may be null (no sum input), y may be x.
  void Apply(const float* x, const float* z, float* y, int64_t count) const;

 private:
  Kind kind_;
  float a_, b_;
};

// FusedConv's sum input Z (null when absent), which must be float32 and shaped as Y.
Result<const float*> FusedConvSum(const KernelContext& ctx, const Shape& y_shape);

}  // namespace qplay
