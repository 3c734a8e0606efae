#include "core/dtype.h"

namespace qplay {

size_t ElementSize(DataType type) {
  switch (type) {
    case DataType::kFloat: case DataType::kInt32: case DataType::kUint32: return 4;
    case DataType::kDouble: case DataType::kInt64: case DataType::kUint64: return 8;
    case DataType::kInt8: case DataType::kUint8: case DataType::kBool: return 1;
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
    default: return "undefined(" + std::to_string(static_cast<int>(type)) + ")";
  }
}

bool IsSupportedDataType(DataType type) {
  return type == DataType::kBool || VisitNumeric(type, [](auto) {});
}

}  // namespace qplay
