#include "onnx/tensor_proto.h"

#include <cstring>

namespace qplay {
namespace {

template <typename Dst, typename Field>
void CopyField(const Field& field, Tensor& out) {
  Dst* dst = out.data<Dst>();
  for (int i = 0; i < field.size(); ++i) dst[i] = static_cast<Dst>(field.Get(i));
}

}  // namespace

Result<Tensor> TensorFromProto(const onnx::TensorProto& proto, const std::string& context,
                               const std::shared_ptr<const void>& owner) {
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string file;
    for (const auto& entry : proto.external_data())
      if (entry.key() == "location") file = entry.value();
    return Fail(StatusCode::kInvalidModel, context, " keeps its data in the external file '", file,
                "'; qplay reads self-contained models only. Inline it in Python with "
                "onnx.save(onnx.load(path), out_path, save_as_external_data=False)");
  }
  if (proto.has_segment()) return Fail(StatusCode::kUnsupported, context, " is a segmented tensor");
  auto dtype = static_cast<DataType>(proto.data_type());
  if (!IsSupportedDataType(dtype))
    return Fail(StatusCode::kUnsupported, context, " has element type ", DataTypeName(dtype),
                ", which qplay does not run");
  Shape shape(proto.dims().begin(), proto.dims().end());
  for (int64_t d : shape)
    if (d < 0) return Fail(StatusCode::kInvalidModel, context, " has a negative dimension in ", ShapeToString(shape));
  const std::string& raw = proto.raw_data();
  const size_t expected_bytes = static_cast<size_t>(NumElements(shape)) * ElementSize(dtype);
  if (!raw.empty()) {
    if (raw.size() != expected_bytes)
      return Fail(StatusCode::kInvalidModel, context, " of shape ", ShapeToString(shape), " and type ",
                  DataTypeName(dtype), " needs ", expected_bytes, " bytes of raw_data but has ", raw.size());
    auto* bytes = reinterpret_cast<uint8_t*>(const_cast<char*>(raw.data()));
    if (owner && reinterpret_cast<uintptr_t>(bytes) % ElementSize(dtype) == 0)
      return Tensor::View(dtype, shape, std::shared_ptr<uint8_t>(std::const_pointer_cast<void>(owner), bytes));
    Tensor tensor(dtype, shape);
    std::memcpy(tensor.raw(), raw.data(), raw.size());
    return tensor;
  }

  Tensor tensor(dtype, shape);
  int64_t stored = 0;
  switch (dtype) {
    case DataType::kFloat: stored = proto.float_data_size(); CopyField<float>(proto.float_data(), tensor); break;
    case DataType::kDouble: stored = proto.double_data_size(); CopyField<double>(proto.double_data(), tensor); break;
    case DataType::kInt64: stored = proto.int64_data_size(); CopyField<int64_t>(proto.int64_data(), tensor); break;
    case DataType::kUint32: stored = proto.uint64_data_size(); CopyField<uint32_t>(proto.uint64_data(), tensor); break;
    case DataType::kUint64: stored = proto.uint64_data_size(); CopyField<uint64_t>(proto.uint64_data(), tensor); break;
    case DataType::kInt32: stored = proto.int32_data_size(); CopyField<int32_t>(proto.int32_data(), tensor); break;
    case DataType::kInt16: stored = proto.int32_data_size(); CopyField<int16_t>(proto.int32_data(), tensor); break;
    case DataType::kUint16: stored = proto.int32_data_size(); CopyField<uint16_t>(proto.int32_data(), tensor); break;
    case DataType::kInt8: stored = proto.int32_data_size(); CopyField<int8_t>(proto.int32_data(), tensor); break;
    case DataType::kUint8: stored = proto.int32_data_size(); CopyField<uint8_t>(proto.int32_data(), tensor); break;
    case DataType::kBool: stored = proto.int32_data_size(); CopyField<bool>(proto.int32_data(), tensor); break;
    default: break;
  }
  if (stored != tensor.size())
    return Fail(StatusCode::kInvalidModel, context, " of shape ", ShapeToString(shape), " should hold ",
                tensor.size(), " values but stores ", stored);
  return tensor;
}

}  // namespace qplay
