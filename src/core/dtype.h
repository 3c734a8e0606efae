// Element types, numbered as ONNX's TensorProto.DataType so values pass through unchanged.
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

namespace qplay {

enum class DataType : int32_t {
  kUndefined = 0,
  kFloat = 1,
  kUint8 = 2,
  kInt8 = 3,
  kUint16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUint32 = 12,
  kUint64 = 13,
  kComplex64 = 14,
  kComplex128 = 15,
  kBfloat16 = 16,
  kUint4 = 21,
  kInt4 = 22,
};

// Size in bytes of one element; 0 for types the runtime does not store (string, complex).
size_t ElementSize(DataType type);
// "float32", "int8", ... as numpy and ONNX Runtime name them.
std::string DataTypeName(DataType type);
bool IsSupportedDataType(DataType type);

// int4 and uint4: ONNX packs two per byte; in memory qplay holds one per byte.
inline bool IsFourBit(DataType type) { return type == DataType::kInt4 || type == DataType::kUint4; }
inline bool IsSixteenBitInteger(DataType type) { return type == DataType::kInt16 || type == DataType::kUint16; }
// Bytes `count` elements take in an ONNX file: ElementSize each, or half a byte for 4-bit types.
inline int64_t PackedBytes(DataType type, int64_t count) {
  return IsFourBit(type) ? (count + 1) / 2 : count * static_cast<int64_t>(ElementSize(type));
}
// The smallest and largest value of an integer type (int4 and uint4 included).
double IntegerMin(DataType type);
double IntegerMax(DataType type);

// float16 and bfloat16: qplay loads them as float32 and computes in float32.
inline bool IsHalfPrecision(DataType type) { return type == DataType::kFloat16 || type == DataType::kBfloat16; }
// The value of a half-precision element's bits (IEEE binary16, or bfloat16's top half of a float32).
float HalfToFloat(DataType type, uint16_t bits);
// The IEEE binary16 nearest to `value` (ties to even); past 65504 it is infinite.
uint16_t FloatToHalf(float value);

template <typename T> struct DataTypeOf;
template <> struct DataTypeOf<float> { static constexpr DataType value = DataType::kFloat; };
template <> struct DataTypeOf<double> { static constexpr DataType value = DataType::kDouble; };
template <> struct DataTypeOf<int8_t> { static constexpr DataType value = DataType::kInt8; };
template <> struct DataTypeOf<uint8_t> { static constexpr DataType value = DataType::kUint8; };
template <> struct DataTypeOf<int16_t> { static constexpr DataType value = DataType::kInt16; };
template <> struct DataTypeOf<uint16_t> { static constexpr DataType value = DataType::kUint16; };
template <> struct DataTypeOf<int32_t> { static constexpr DataType value = DataType::kInt32; };
template <> struct DataTypeOf<uint32_t> { static constexpr DataType value = DataType::kUint32; };
template <> struct DataTypeOf<int64_t> { static constexpr DataType value = DataType::kInt64; };
template <> struct DataTypeOf<uint64_t> { static constexpr DataType value = DataType::kUint64; };
template <> struct DataTypeOf<bool> { static constexpr DataType value = DataType::kBool; };

// `value` as integer type T, saturating at T's limits (NaN gives 0): the defined form of a
// float-to-integer conversion, which C++ leaves undefined out of range.
template <typename T>
T SaturatingCast(double value) {
  static_assert(std::is_integral_v<T>);
  if (value != value) return 0;
  if (value <= static_cast<double>(std::numeric_limits<T>::min())) return std::numeric_limits<T>::min();
  if (value >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(value);
}

// a + b, a - b, a * b and -a in type T; integers wrap (two's complement), as numpy and ONNX
// Runtime compute them, through uint64, where wrapping is defined, instead of overflowing a
// signed type.
template <typename T>
T WrappingAdd(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
  else return a + b;
}
template <typename T>
T WrappingSub(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
  else return a - b;
}
template <typename T>
T WrappingMul(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
  else return a * b;
}
template <typename T>
T WrappingNeg(T a) { return WrappingSub(T{}, a); }

// `value` as T: saturating for integers (SaturatingCast), plain for floats.
template <typename T>
T ConvertFromDouble(double value) {
  if constexpr (std::is_integral_v<T>) return SaturatingCast<T>(value);
  else return static_cast<T>(value);
}

// Calls fn(T{}) with the C++ type for `type`. Returns false for types it does not cover.
template <typename Fn>
bool VisitNumeric(DataType type, Fn&& fn) {
  switch (type) {
    case DataType::kFloat: fn(float{}); return true;
    case DataType::kDouble: fn(double{}); return true;
    case DataType::kInt8: case DataType::kInt4: fn(int8_t{}); return true;
    case DataType::kUint8: case DataType::kUint4: fn(uint8_t{}); return true;
    case DataType::kInt16: fn(int16_t{}); return true;
    case DataType::kUint16: fn(uint16_t{}); return true;
    case DataType::kInt32: fn(int32_t{}); return true;
    case DataType::kUint32: fn(uint32_t{}); return true;
    case DataType::kInt64: fn(int64_t{}); return true;
    case DataType::kUint64: fn(uint64_t{}); return true;
    default: return false;
  }
}

// As VisitNumeric, plus bool.
template <typename Fn>
bool VisitAny(DataType type, Fn&& fn) {
  if (type == DataType::kBool) {
    fn(bool{});
    return true;
  }
  return VisitNumeric(type, fn);
}

}  // namespace qplay
