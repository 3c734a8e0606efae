#include "onnx/tensor_proto.h"

#include <charconv>
#include <cstring>

namespace qplay {
namespace {

template <typename Dst, typename Field>
void CopyField(const Field& field, Tensor& out) {
  Dst* dst = out.data<Dst>();
  for (int i = 0; i < field.size(); ++i) dst[i] = static_cast<Dst>(field.Get(i));
}

// A float16 or bfloat16 tensor as float32: its 16-bit values little-endian in `raw`, or (when
// `raw` is empty) one per entry of int32_data.
Result<Tensor> UpcastHalf(const std::string& raw, const onnx::TensorProto& proto, DataType dtype, const Shape& shape,
                          int64_t count, const std::string& context) {
  const int64_t stored = raw.empty() ? proto.int32_data_size() : static_cast<int64_t>(raw.size() / 2);
  if (stored != count || raw.size() % 2)
    return Fail(StatusCode::kInvalidModel, context, " of shape ", ShapeToString(shape), " and type ", DataTypeName(dtype),
                " should hold ", count, " values but stores ", raw.empty() ? std::to_string(stored) : std::to_string(raw.size()) + " bytes");
  auto tensor = Tensor::Allocate(DataType::kFloat, shape, context);
  if (!tensor.ok()) return tensor;
  for (int64_t i = 0; i < count; ++i) {
    const auto bits = raw.empty() ? static_cast<uint16_t>(proto.int32_data(static_cast<int>(i)))
                                  : static_cast<uint16_t>(static_cast<uint8_t>(raw[2 * i]) | static_cast<uint8_t>(raw[2 * i + 1]) << 8);
    tensor->data<float>()[i] = HalfToFloat(dtype, bits);
  }
  return tensor;
}

// An int4 or uint4 tensor, one element per byte, from ONNX's packing: two per byte, the first in
// the low nibble, from `packed` bytes (raw_data or external data) or from one byte per entry of
// int32_data.
Result<Tensor> UnpackFourBit(const std::string& packed, const onnx::TensorProto& proto, DataType dtype, const Shape& shape,
                             int64_t count, const std::string& context) {
  const int64_t bytes = (count + 1) / 2;
  const int64_t stored = packed.empty() ? proto.int32_data_size() : static_cast<int64_t>(packed.size());
  if (stored != bytes)
    return Fail(StatusCode::kInvalidModel, context, " of shape ", ShapeToString(shape), " and type ", DataTypeName(dtype),
                " packs ", count, " values in ", bytes, " bytes but stores ", stored);
  auto tensor = Tensor::Allocate(dtype, shape, context);
  if (!tensor.ok()) return tensor;
  const bool is_signed = dtype == DataType::kInt4;
  for (int64_t i = 0; i < count; ++i) {
    const auto byte = static_cast<uint8_t>(packed.empty() ? proto.int32_data(static_cast<int>(i / 2)) : packed[i / 2]);
    const uint8_t nibble = i % 2 ? byte >> 4 : byte & 0x0f;
    tensor->raw()[i] = is_signed && nibble >= 8 ? static_cast<uint8_t>(nibble | 0xf0) : nibble;
  }
  return tensor;
}

// ONNX's packing of an int4 or uint4 tensor held one element per byte.
std::string PackFourBit(const Tensor& tensor) {
  std::string packed(static_cast<size_t>((tensor.size() + 1) / 2), '\0');
  for (int64_t i = 0; i < tensor.size(); ++i)
    packed[i / 2] = static_cast<char>(static_cast<uint8_t>(packed[i / 2]) | (tensor.raw()[i] & 0x0f) << (i % 2 ? 4 : 0));
  return packed;
}

// A tensor whose bytes are in an external file: `location`, from `offset`, `length` bytes.
Result<Tensor> ReadExternal(const onnx::TensorProto& proto, DataType dtype, const Shape& shape, int64_t count,
                            const std::string& context, const ExternalDataReader* external) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& entry : proto.external_data()) {
    int64_t* number = entry.key() == "offset" ? &offset : entry.key() == "length" ? &length : nullptr;
    if (entry.key() == "location") location = entry.value();
    if (!number) continue;
    const std::string& text = entry.value();
    const auto parsed = std::from_chars(text.data(), text.data() + text.size(), *number);
    if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size() || *number < 0)
      return Fail(StatusCode::kInvalidModel, context, ": external data ", entry.key(), " '", text, "' is not a whole number");
  }
  if (location.empty()) return Fail(StatusCode::kInvalidModel, context, " keeps its data in an external file but names none");
  if (!external || !*external)
    return Fail(StatusCode::kInvalidModel, context, " keeps its data in the external file '", location,
                "'; load the model together with that file (the CLI reads it from the model's folder, the page and "
                "loadModel(bytes, files) take it beside the model)");
  const int64_t bytes = PackedBytes(dtype, count);
  if (length >= 0 && length != bytes)
    return Fail(StatusCode::kInvalidModel, context, " of shape ", ShapeToString(shape), " and type ", DataTypeName(dtype),
                " needs ", bytes, " bytes but its external data is ", length, " bytes long");
  if (IsHalfPrecision(dtype) || IsFourBit(dtype)) {
    std::string raw(static_cast<size_t>(bytes), '\0');
    QPLAY_RETURN_IF_ERROR((*external)(location, offset, bytes, reinterpret_cast<uint8_t*>(raw.data())).WithContext(context));
    return IsFourBit(dtype) ? UnpackFourBit(raw, proto, dtype, shape, count, context) : UpcastHalf(raw, proto, dtype, shape, count, context);
  }
  auto tensor = Tensor::Allocate(dtype, shape, context);
  if (!tensor.ok()) return tensor;
  QPLAY_RETURN_IF_ERROR((*external)(location, offset, bytes, tensor->raw()).WithContext(context));
  return tensor;
}

}  // namespace

Result<Tensor> TensorFromProto(const onnx::TensorProto& proto, const std::string& context,
                               const std::shared_ptr<const void>& owner, const ExternalDataReader* external) {
  if (proto.has_segment()) return Fail(StatusCode::kUnsupported, context, " is a segmented tensor");
  auto dtype = static_cast<DataType>(proto.data_type());
  if (!IsSupportedDataType(dtype) && !IsHalfPrecision(dtype))
    return Fail(StatusCode::kUnsupported, context, " has element type ", DataTypeName(dtype),
                ", which qplay does not run");
  Shape shape(proto.dims().begin(), proto.dims().end());
  const std::optional<int64_t> count = CheckedNumElements(shape);
  if (!count) return Fail(StatusCode::kInvalidModel, context, " has invalid dims ", ShapeToString(shape));
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) return ReadExternal(proto, dtype, shape, *count, context, external);
  if (IsHalfPrecision(dtype)) return UpcastHalf(proto.raw_data(), proto, dtype, shape, *count, context);
  if (IsFourBit(dtype)) return UnpackFourBit(proto.raw_data(), proto, dtype, shape, *count, context);

  // Sizes are checked against the stored data before anything is allocated from the dims.
  const std::string& raw = proto.raw_data();
  if (!raw.empty()) {
    const uint64_t expected_bytes = static_cast<uint64_t>(*count) * ElementSize(dtype);
    if (raw.size() != expected_bytes)
      return Fail(StatusCode::kInvalidModel, context, " of shape ", ShapeToString(shape), " and type ",
                  DataTypeName(dtype), " needs ", expected_bytes, " bytes of raw_data but has ", raw.size());
    auto* bytes = reinterpret_cast<uint8_t*>(const_cast<char*>(raw.data()));
    if (owner && reinterpret_cast<uintptr_t>(bytes) % ElementSize(dtype) == 0)
      return Tensor::View(dtype, shape, std::shared_ptr<uint8_t>(std::const_pointer_cast<void>(owner), bytes));
    auto tensor = Tensor::Allocate(dtype, shape, context);
    if (tensor.ok()) std::memcpy(tensor->raw(), raw.data(), raw.size());
    return tensor;
  }

  int64_t stored = 0;
  switch (dtype) {
    case DataType::kFloat: stored = proto.float_data_size(); break;
    case DataType::kDouble: stored = proto.double_data_size(); break;
    case DataType::kInt64: stored = proto.int64_data_size(); break;
    case DataType::kUint32: case DataType::kUint64: stored = proto.uint64_data_size(); break;
    default: stored = proto.int32_data_size(); break;  // int32, int16, uint16, int8, uint8, bool
  }
  if (stored != *count)
    return Fail(StatusCode::kInvalidModel, context, " of shape ", ShapeToString(shape), " should hold ", *count,
                " values but stores ", stored);
  auto allocated = Tensor::Allocate(dtype, shape, context);
  if (!allocated.ok()) return allocated;
  Tensor& tensor = allocated.value();
  switch (dtype) {
    case DataType::kFloat: CopyField<float>(proto.float_data(), tensor); break;
    case DataType::kDouble: CopyField<double>(proto.double_data(), tensor); break;
    case DataType::kInt64: CopyField<int64_t>(proto.int64_data(), tensor); break;
    case DataType::kUint32: CopyField<uint32_t>(proto.uint64_data(), tensor); break;
    case DataType::kUint64: CopyField<uint64_t>(proto.uint64_data(), tensor); break;
    case DataType::kInt32: CopyField<int32_t>(proto.int32_data(), tensor); break;
    case DataType::kInt16: CopyField<int16_t>(proto.int32_data(), tensor); break;
    case DataType::kUint16: CopyField<uint16_t>(proto.int32_data(), tensor); break;
    case DataType::kInt8: CopyField<int8_t>(proto.int32_data(), tensor); break;
    case DataType::kUint8: CopyField<uint8_t>(proto.int32_data(), tensor); break;
    case DataType::kBool: CopyField<bool>(proto.int32_data(), tensor); break;
    default: break;
  }
  return allocated;
}

onnx::TensorProto TensorToExternalProto(const Tensor& tensor, const std::string& name, const std::string& location,
                                        std::vector<uint8_t>& data) {
  onnx::TensorProto proto;
  proto.set_name(name);
  proto.set_data_type(static_cast<int32_t>(tensor.dtype()));
  for (int64_t d : tensor.shape()) proto.add_dims(d);
  const std::string packed = IsFourBit(tensor.dtype()) ? PackFourBit(tensor) : std::string();
  const uint8_t* bytes = packed.empty() ? tensor.raw() : reinterpret_cast<const uint8_t*>(packed.data());
  const size_t length = packed.empty() ? tensor.nbytes() : packed.size();
  proto.set_data_location(onnx::TensorProto::EXTERNAL);
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"location", location},
                                   {"offset", std::to_string(data.size())}, {"length", std::to_string(length)}}) {
    auto* entry = proto.add_external_data();
    entry->set_key(key);
    entry->set_value(value);
  }
  if (length) data.insert(data.end(), bytes, bytes + length);
  return proto;
}

onnx::TensorProto TensorToProto(const Tensor& tensor, const std::string& name) {
  onnx::TensorProto proto;
  proto.set_name(name);
  proto.set_data_type(static_cast<int32_t>(tensor.dtype()));
  for (int64_t d : tensor.shape()) proto.add_dims(d);
  if (IsFourBit(tensor.dtype())) proto.set_raw_data(PackFourBit(tensor));
  else proto.set_raw_data(tensor.raw(), tensor.nbytes());
  return proto;
}

}  // namespace qplay
