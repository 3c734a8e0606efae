#include "data/sample_array.h"

#include <algorithm>

namespace qplay {

SampleArray::SampleArray(Tensor tensor) : tensor_(std::move(tensor)), dtype_(tensor_.dtype()), shape_(tensor_.shape()) {}

Result<SampleArray> SampleArray::InBytes(ByteSourcePtr bytes, uint64_t offset, DataType dtype, Shape shape) {
  const std::optional<int64_t> count = CheckedNumElements(shape);
  const uint64_t held = offset <= bytes->size() ? bytes->size() - offset : 0;
  if (!count)
    return Fail(StatusCode::kInvalidArgument, bytes->name(), " has shape ", ShapeToString(shape), ", more elements than int64 counts");
  if (static_cast<uint64_t>(*count) > held / ElementSize(dtype))
    return Fail(StatusCode::kInvalidArgument, bytes->name(), " holds ", held, " bytes of data but shape ", ShapeToString(shape), " of ",
                DataTypeName(dtype), " needs ", static_cast<uint64_t>(*count) * ElementSize(dtype));
  SampleArray array;
  array.bytes_ = std::move(bytes);
  array.offset_ = offset;
  array.dtype_ = dtype;
  array.shape_ = std::move(shape);
  return array;
}

Result<Tensor> SampleArray::Rows(int64_t start, int64_t count) const {
  if (shape_.empty() || start < 0 || count < 0 || start > shape_[0] || count > shape_[0] - start)
    return Fail(StatusCode::kInternal, "rows ", start, " to ", start + count, " of an array of shape ", ShapeToString(shape_));
  if (!bytes_) return tensor_.SliceRows(start, count);
  Shape rows = shape_;
  rows[0] = count;
  auto tensor = Tensor::Allocate(dtype_, rows, bytes_->name());
  if (!tensor.ok()) return tensor.status();
  const uint64_t row_bytes = tensor->nbytes() / std::max<int64_t>(count, 1);
  QPLAY_RETURN_IF_ERROR(bytes_->Read(offset_ + static_cast<uint64_t>(start) * row_bytes, tensor->nbytes(), tensor->raw()));
  return tensor;
}

SampleArray SampleArray::FirstRows(int64_t count) const {
  SampleArray head = *this;
  if (!head.shape_.empty()) head.shape_[0] = std::clamp<int64_t>(count, 0, shape_[0]);
  return head;
}

Result<Tensor> SampleArray::All() const {
  if (!bytes_ && tensor_.shape() == shape_) return tensor_;
  if (!shape_.empty()) return Rows(0, shape_[0]);
  auto scalar = Tensor::Allocate(dtype_, {}, bytes_->name());
  if (!scalar.ok()) return scalar.status();
  QPLAY_RETURN_IF_ERROR(bytes_->Read(offset_, scalar->nbytes(), scalar->raw()));
  return scalar;
}

}  // namespace qplay
