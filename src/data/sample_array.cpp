#include "data/sample_array.h"

#include <algorithm>
#include <cmath>

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
  if (!bytes_) return tensor_.SliceRows(first_row_ + start, count);
  Shape rows = shape_;
  rows[0] = count;
  auto tensor = Tensor::Allocate(dtype_, rows, bytes_->name());
  if (!tensor.ok()) return tensor.status();
  const uint64_t row_bytes = tensor->nbytes() / std::max<int64_t>(count, 1);
  QPLAY_RETURN_IF_ERROR(bytes_->Read(offset_ + static_cast<uint64_t>(start) * row_bytes, tensor->nbytes(), tensor->raw()));
  return tensor;
}

SampleArray SampleArray::RowsView(int64_t start, int64_t count) const {
  SampleArray view = *this;
  if (shape_.empty()) return view;
  start = std::clamp<int64_t>(start, 0, shape_[0]);
  view.shape_[0] = std::clamp<int64_t>(count, 0, shape_[0] - start);
  const uint64_t row_bytes = ElementSize(dtype_) * static_cast<uint64_t>(*CheckedNumElements(Shape(shape_.begin() + 1, shape_.end())));
  if (bytes_) view.offset_ += static_cast<uint64_t>(start) * row_bytes;
  else view.first_row_ += start;
  return view;
}

Result<Tensor> SampleArray::All() const {
  if (!bytes_ && tensor_.shape() == shape_ && first_row_ == 0) return tensor_;
  if (!shape_.empty()) return Rows(0, shape_[0]);
  auto scalar = Tensor::Allocate(dtype_, {}, bytes_->name());
  if (!scalar.ok()) return scalar.status();
  QPLAY_RETURN_IF_ERROR(bytes_->Read(offset_, scalar->nbytes(), scalar->raw()));
  return scalar;
}

Result<std::optional<NonFiniteValue>> FindNonFinite(const SampleArray& array) {
  if (array.dtype() != DataType::kFloat && array.dtype() != DataType::kDouble) return std::optional<NonFiniteValue>();
  if (array.rank() == 0) {
    auto value = array.All();
    if (!value.ok()) return value.status();
    const double v = value->GetAsDouble(0);
    return std::isfinite(v) ? std::optional<NonFiniteValue>() : std::optional<NonFiniteValue>(NonFiniteValue{0, 0, v});
  }
  const int64_t rows = array.shape()[0];
  const int64_t per_row = rows ? *CheckedNumElements(array.shape()) / rows : 0;
  const int64_t chunk = std::max<int64_t>(1, (int64_t{1} << 20) / std::max<int64_t>(per_row * static_cast<int64_t>(ElementSize(array.dtype())), 1));
  for (int64_t start = 0; start < rows; start += chunk) {
    auto part = array.Rows(start, std::min(chunk, rows - start));
    if (!part.ok()) return part.status();
    for (int64_t i = 0; i < part->size(); ++i) {
      const double v = part->GetAsDouble(i);
      if (!std::isfinite(v)) return std::optional<NonFiniteValue>(NonFiniteValue{start + i / per_row, i % per_row, v});
    }
  }
  return std::optional<NonFiniteValue>();
}

}  // namespace qplay
