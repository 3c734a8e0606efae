// com.microsoft QLinearAdd and QLinearMul on 8-bit operands, computed as ONNX Runtime's x86
// kernels (MLAS) compute them: on the stored integers, with float ratios of the scales, in
// their order of operations. Any other exact-looking formula (dequantize, add, requantize)
// rounds differently once in a few thousand elements, and one such step in a residual Add
// grows past an output step through a deep net. The reference and fast kernels share it.
//   Add: c = fma(a, sa/sc, fma(b, sb/sc, zc - (sa/sc·za + sb/sc·zb))); an operand that is
//        constant along the innermost broadcast run is first added into the fixed part
//        (times its ratio, rounded), as MLAS's scalar-operand kernels do;
//   Mul: c = float((a − za)(b − zb)) · (sa·sb/sc) + zc.
// c is rounded half to even (NaN and |c| ≥ 2^31 give the type's lowest value, as x86's
// conversion does) and saturated to the output type.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>

#include "core/tensor.h"

namespace qplay {

// Which operand MLAS treats as one value per innermost run of the broadcast output.
enum class ScalarOperand { kNone, kA, kB };

// From the innermost output dimension longer than 1: an operand of size 1 there is the scalar
// one (A first, as ONNX Runtime's broadcast loop checks); an output of one element makes A it.
inline ScalarOperand InnermostScalarOperand(const Shape& out, const Shape& a, const Shape& b) {
  auto dim = [](const Shape& s, size_t from_end) { return from_end < s.size() ? s[s.size() - 1 - from_end] : 1; };
  for (size_t j = 0; j < out.size(); ++j) {
    if (dim(out, j) == 1) continue;
    if (dim(a, j) == 1) return ScalarOperand::kA;
    return dim(b, j) == 1 ? ScalarOperand::kB : ScalarOperand::kNone;
  }
  return ScalarOperand::kA;
}

// round(x·y + z) to float for |x| ≤ 2^15 an integer: x·y is exact in double and, for the
// scale ratios quantized models have, so is the sum, so the one rounding to float is a fused
// multiply-add's. (wasm has no fused multiply-add outside relaxed SIMD.)
inline float FusedMultiplyAdd(float x, float y, float z) {
  return static_cast<float>(static_cast<double>(x) * static_cast<double>(y) + static_cast<double>(z));
}

// x86's float-to-int32 conversion (round half to even; NaN and out-of-range give INT32_MIN),
// then saturation to T.
template <typename T>
T RoundAndSaturateLikeX86(float c) {
  const int32_t r = std::fabs(c) < 2147483648.0f ? static_cast<int32_t>(std::nearbyint(c)) : std::numeric_limits<int32_t>::min();
  if (r < std::numeric_limits<T>::lowest()) return std::numeric_limits<T>::lowest();
  if (r > std::numeric_limits<T>::max()) return std::numeric_limits<T>::max();
  return static_cast<T>(r);
}

// The constants of one QLinearAdd.
struct QLinearAddTerms {
  float ratio_a, ratio_b, fixed;
  QLinearAddTerms(float scale_a, int32_t zero_a, float scale_b, int32_t zero_b, float scale_c, int32_t zero_c)
      : ratio_a(scale_a / scale_c), ratio_b(scale_b / scale_c) {
    const float zero_terms = FusedMultiplyAdd(static_cast<float>(zero_a), ratio_a, ratio_b * static_cast<float>(zero_b));
    fixed = static_cast<float>(zero_c) - zero_terms;
  }
  float Sum(int32_t a, int32_t b, ScalarOperand scalar) const {
    const float fa = static_cast<float>(a), fb = static_cast<float>(b);
    switch (scalar) {
      case ScalarOperand::kA: return FusedMultiplyAdd(fb, ratio_b, fixed + fa * ratio_a);
      case ScalarOperand::kB: return FusedMultiplyAdd(fa, ratio_a, fixed + fb * ratio_b);
      default: return FusedMultiplyAdd(fa, ratio_a, FusedMultiplyAdd(fb, ratio_b, fixed));
    }
  }
};

// The constants of one QLinearMul.
struct QLinearMulTerms {
  float ratio, zero_c;
  int32_t zero_a, zero_b;
  QLinearMulTerms(float scale_a, int32_t za, float scale_b, int32_t zb, float scale_c, int32_t zc)
      : ratio(scale_a * scale_b / scale_c), zero_c(static_cast<float>(zc)), zero_a(za), zero_b(zb) {}
  float Product(int32_t a, int32_t b) const { return static_cast<float>((a - zero_a) * (b - zero_b)) * ratio + zero_c; }
};

}  // namespace qplay
