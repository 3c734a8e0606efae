// The element-wise activations that a convolution can apply to its own output (FusedConv), as
// scalar functions of float or double: the standalone activation kernels and the fused ones
// call these same functions, so fusing an activation changes no bit of the result.
#pragma once
#include <algorithm>
#include <cmath>

namespace qplay {

template <typename T>
T ReluOf(T v) {
  return v > 0 ? v : T(0);
}

template <typename T>
T LeakyReluOf(T v, double alpha) {
  return v >= 0 ? v : T(v * alpha);
}

// max(v, lo), then min(., hi), each keeping v when the comparison is false: NaN stays NaN.
template <typename T>
T ClipOf(T v, T lo, T hi) {
  return std::min(std::max(v, lo), hi);
}

template <typename T>
T SigmoidOf(T v) {
  return v >= 0 ? T(1) / (T(1) + std::exp(-v)) : std::exp(v) / (T(1) + std::exp(v));
}

template <typename T>
T TanhOf(T v) {
  return std::tanh(v);
}

// HardSigmoid and HardSwish round each step in T, as ONNX's reference computes them, so that a
// vector form can equal them bit for bit.
template <typename T>
T HardSigmoidOf(T v, T alpha, T beta) {
  return ClipOf(alpha * v + beta, T(0), T(1));
}

template <typename T>
T HardSwishOf(T v) {
  return v * HardSigmoidOf(v, T(1) / T(6), T(0.5));
}

}  // namespace qplay
