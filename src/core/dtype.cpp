#include "core/dtype.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace qplay {

size_t ElementSize(DataType type) {
  switch (type) {
    case DataType::kFloat: case DataType::kInt32: case DataType::kUint32: return 4;
    case DataType::kDouble: case DataType::kInt64: case DataType::kUint64: return 8;
    case DataType::kInt8: case DataType::kUint8: case DataType::kBool: case DataType::kInt4: case DataType::kUint4: return 1;
    case DataType::kInt16: case DataType::kUint16: case DataType::kFloat16:
    case DataType::kBfloat16: return 2;
    default: return 0;
  }
}

std::string DataTypeName(DataType type) {
  switch (type) {
    case DataType::kFloat: return "float32";
    case DataType::kUint8: return "uint8";
    case DataType::kInt8: return "int8";
    case DataType::kUint16: return "uint16";
    case DataType::kInt16: return "int16";
    case DataType::kInt32: return "int32";
    case DataType::kInt64: return "int64";
    case DataType::kString: return "string";
    case DataType::kBool: return "bool";
    case DataType::kFloat16: return "float16";
    case DataType::kDouble: return "float64";
    case DataType::kUint32: return "uint32";
    case DataType::kUint64: return "uint64";
    case DataType::kComplex64: return "complex64";
    case DataType::kComplex128: return "complex128";
    case DataType::kBfloat16: return "bfloat16";
    case DataType::kUint4: return "uint4";
    case DataType::kInt4: return "int4";
    default: return "undefined(" + std::to_string(static_cast<int>(type)) + ")";
  }
}

float HalfToFloat(DataType type, uint16_t bits) {
  if (type == DataType::kBfloat16) {
    const uint32_t word = static_cast<uint32_t>(bits) << 16;
    float f;
    std::memcpy(&f, &word, sizeof f);
    return f;
  }
  const uint32_t sign = (bits >> 15) & 1, exponent = (bits >> 10) & 0x1f, mantissa = bits & 0x3ff;
  float magnitude;
  if (exponent == 0) magnitude = std::ldexp(static_cast<float>(mantissa), -24);  // zero and subnormals
  else if (exponent == 31) magnitude = mantissa ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  else magnitude = std::ldexp(static_cast<float>(mantissa | 0x400), static_cast<int>(exponent) - 25);
  return sign ? -magnitude : magnitude;
}

uint16_t FloatToHalf(float value) {
  uint32_t word;
  std::memcpy(&word, &value, sizeof word);
  const auto sign = static_cast<uint16_t>((word >> 16) & 0x8000);
  const uint32_t magnitude = word & 0x7fffffff;
  if (magnitude > 0x7f800000) return sign | 0x7e00;           // NaN
  if (magnitude >= 0x477ff000) return sign | 0x7c00;          // rounds past 65504: infinity
  if (magnitude < 0x38800000) {                               // below 2^-14: a subnormal half
    const float scaled = std::fabs(value) * 16777216.0f;      // in units of 2^-24, rounded to even
    return sign | static_cast<uint16_t>(std::nearbyint(scaled));
  }
  // Rebias the exponent and round the 13 dropped mantissa bits to nearest, ties to even.
  const uint32_t rebiased = magnitude - (112u << 23);
  const uint32_t rounded = rebiased + 0xfff + ((rebiased >> 13) & 1);
  return sign | static_cast<uint16_t>(rounded >> 13);
}

double IntegerMin(DataType type) {
  if (type == DataType::kInt4) return -8;
  if (type == DataType::kUint4) return 0;
  double min = 0;
  VisitNumeric(type, [&](auto v) { min = static_cast<double>(std::numeric_limits<decltype(v)>::lowest()); });
  return min;
}

double IntegerMax(DataType type) {
  if (type == DataType::kInt4) return 7;
  if (type == DataType::kUint4) return 15;
  double max = 0;
  VisitNumeric(type, [&](auto v) { max = static_cast<double>(std::numeric_limits<decltype(v)>::max()); });
  return max;
}

bool IsSupportedDataType(DataType type) {
  return type == DataType::kBool || VisitNumeric(type, [](auto) {});
}

}  // namespace qplay
