// An array of samples along its first axis, either in memory or read from bytes (an .npy file,
// an .npz entry) a few rows at a time, so that calibrating on 10,000 samples takes no more memory
// than calibrating on 100.
#pragma once
#include <cstdint>
#include <optional>

#include "core/status.h"
#include "core/tensor.h"
#include "data/byte_source.h"

namespace qplay {

class SampleArray {
 public:
  SampleArray() = default;
  SampleArray(Tensor tensor);  // NOLINT(google-explicit-constructor): an array in memory is one
  // Elements of `dtype` in C order from byte `offset` of `bytes`, which must hold all of them.
  static Result<SampleArray> InBytes(ByteSourcePtr bytes, uint64_t offset, DataType dtype, Shape shape);

  DataType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  bool in_memory() const { return !bytes_; }

  // Rows [start, start + count) along the first axis, read now when the array is not in memory.
  Result<Tensor> Rows(int64_t start, int64_t count) const;
  // The whole array (a rank-0 array included).
  Result<Tensor> All() const;
  // The same array cut to rows [start, start + count) (clamped to those it has), nothing read.
  SampleArray RowsView(int64_t start, int64_t count) const;

 private:
  Tensor tensor_;          // in memory (rows from first_row_ on), or
  int64_t first_row_ = 0;
  ByteSourcePtr bytes_;    // read from here
  uint64_t offset_ = 0;
  DataType dtype_ = DataType::kUndefined;
  Shape shape_;
};

struct NonFiniteValue {
  int64_t sample;   // along the first axis
  int64_t element;  // within the sample
  double value;     // NaN or an infinity
};

// The first NaN or infinity of a float array, read a chunk of rows at a time; none for other types.
Result<std::optional<NonFiniteValue>> FindNonFinite(const SampleArray& array);

}  // namespace qplay
