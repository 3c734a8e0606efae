// Shared arithmetic of the integer ops: zero points that may be scalars or per-row/column
// vectors, and float -> integer with round-half-to-even and saturation.
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/tensor.h"

namespace qplay {

// Element `index` of an optional scalar-or-vector tensor (zero point), as int32; 0 if absent.
inline int32_t ZeroPointAt(const Tensor* zero_point, int64_t index) {
  if (!zero_point || zero_point->size() == 0) return 0;
  return static_cast<int32_t>(zero_point->GetAsInt64(zero_point->size() == 1 ? 0 : index));
}

inline bool Is8Bit(const Tensor& t) { return t.dtype() == DataType::kUint8 || t.dtype() == DataType::kInt8; }

// Element i of a uint8 or int8 tensor, as int32.
inline int32_t LoadInt8(const Tensor& t, int64_t i) {
  return t.dtype() == DataType::kUint8 ? t.data<uint8_t>()[i] : t.data<int8_t>()[i];
}

// Rounds half to even (the FPU's default mode) and clamps to T's range. NaN gives T's lowest
// value, as ONNX Runtime's x86 kernels do (their conversion yields INT_MIN, then saturates).
template <typename T>
T SaturateRound(float value) {
  if (std::isnan(value)) return std::numeric_limits<T>::lowest();
  float r = std::nearbyint(value);
  r = std::min(std::max(r, static_cast<float>(std::numeric_limits<T>::lowest())),
               static_cast<float>(std::numeric_limits<T>::max()));
  return static_cast<T>(r);
}

// DynamicQuantizeLinear's uint8 zero point for a range starting at lo (<= 0) and its scale:
// round(-lo / scale) within [0, 255]; 0 for a zero scale, and for NaN (an infinite input), as
// ONNX Runtime's x86 build gives.
inline float DynamicZeroPoint(float lo, float scale) {
  if (scale == 0) return 0.0f;
  const float zp = std::nearbyint(0.0f - lo / scale);
  return std::isnan(zp) ? 0.0f : std::clamp(zp, 0.0f, 255.0f);
}

// out[i] = value(i) rounded and saturated to the range of a uint8/int8, int16/uint16 or int4/uint4
// output tensor.
template <typename ValueFn>
bool StoreQuantized(Tensor& out, ValueFn value) {
  switch (out.dtype()) {
    case DataType::kUint8: for (int64_t i = 0; i < out.size(); ++i) out.data<uint8_t>()[i] = SaturateRound<uint8_t>(value(i)); return true;
    case DataType::kInt8: for (int64_t i = 0; i < out.size(); ++i) out.data<int8_t>()[i] = SaturateRound<int8_t>(value(i)); return true;
    case DataType::kUint16: for (int64_t i = 0; i < out.size(); ++i) out.data<uint16_t>()[i] = SaturateRound<uint16_t>(value(i)); return true;
    case DataType::kInt16: for (int64_t i = 0; i < out.size(); ++i) out.data<int16_t>()[i] = SaturateRound<int16_t>(value(i)); return true;
    case DataType::kUint4: for (int64_t i = 0; i < out.size(); ++i) out.data<uint8_t>()[i] = std::min<uint8_t>(SaturateRound<uint8_t>(value(i)), 15); return true;
    case DataType::kInt4: for (int64_t i = 0; i < out.size(); ++i) out.data<int8_t>()[i] = std::clamp<int8_t>(SaturateRound<int8_t>(value(i)), -8, 7); return true;
    default: return false;
  }
}

}  // namespace qplay
