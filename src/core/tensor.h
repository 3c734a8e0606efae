// A dense tensor: element type, shape and a shared, 64-byte aligned buffer.
// Copies of a Tensor share the buffer; Clone() makes an independent copy.
#pragma once
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/status.h"

namespace qplay {

using Shape = std::vector<int64_t>;

int64_t NumElements(const Shape& shape);
// NumElements, or nullopt for negative dims or a count beyond 2^40 (malformed input).
std::optional<int64_t> CheckedNumElements(const Shape& shape);
std::string ShapeToString(const Shape& shape);

// The largest tensor qplay creates whose size comes from a model or its inputs: by default
// 2 GiB, half of what a wasm32 heap (4 GB) can hold; the CLI's --max-tensor-bytes and the
// module's setMaxTensorBytes() change it for the process.
inline constexpr uint64_t kDefaultMaxTensorBytes = uint64_t{2} << 30;
uint64_t MaxTensorBytes();
void SetMaxTensorBytes(uint64_t bytes);
// The limit as people read it: "2 GiB", "256 MiB", "1000 bytes".
std::string MaxTensorBytesText();
// What one tensor may take: MaxTensorBytes(), and in wasm no more than the heap can still grow
// to, less 64 MiB of headroom. Every tensor allocation is checked against it.
uint64_t TensorBudgetBytes();
// The budget as people read it: "2 GiB", or "1.23e+09 bytes (what the wasm heap can still grow to)".
std::string TensorBudgetText();
// Fails, naming `what`, when a tensor of this type and shape has a negative dimension or would
// take more than TensorBudgetBytes(); checked before allocating sizes read from a model or its inputs.
Status CheckTensorSize(DataType dtype, const Shape& shape, const std::string& what);

// Thrown by the Tensor constructor for a tensor past the budget, or when memory runs out: the
// callers of kernels (Invoke in kernels/kernel.h) and the CLI and module boundaries turn it
// into a named error, so a hostile size never reaches a null buffer.
class AllocationRefused : public std::bad_alloc {
 public:
  explicit AllocationRefused(std::string message) : message_(std::move(message)) {}
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

// For tests: Tensor::Uninitialized fills its memory with a pattern, so that a kernel leaving
// elements of such an output unwritten gives wrong results instead of lucky zeros.
void PoisonUninitializedTensors(bool on);

class Tensor {
 public:
  Tensor() = default;
  // Zero-filled tensor. Throws AllocationRefused for negative or overflowing dims, past the
  // budget, or when memory runs out.
  Tensor(DataType dtype, Shape shape);
  // As the constructor, but returns the error (naming `what`) instead of throwing it.
  static Result<Tensor> Allocate(DataType dtype, Shape shape, const std::string& what);

  // As the constructor without the zero fill: for code that writes every element.
  static Tensor Uninitialized(DataType dtype, Shape shape);

  // A tensor over memory someone else owns; `storage` keeps that owner alive (a shared_ptr
  // aliasing the owner), so loading a model does not copy its weights again.
  static Tensor View(DataType dtype, Shape shape, std::shared_ptr<uint8_t> storage);

  template <typename T>
  static Tensor FromVector(Shape shape, const std::vector<T>& values) {
    Tensor t(DataTypeOf<T>::value, std::move(shape));
    for (size_t i = 0; i < values.size() && i < static_cast<size_t>(t.size()); ++i) t.data<T>()[i] = values[i];
    return t;
  }
  template <typename T>
  static Tensor Scalar(T value) { return FromVector<T>({}, {value}); }

  DataType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t axis) const { return shape_[axis]; }
  int64_t size() const { return size_; }
  size_t nbytes() const { return static_cast<size_t>(size_) * ElementSize(dtype_); }
  bool empty() const { return !storage_; }
  // How many tensors share this buffer (buffer lifetime checks).
  long use_count() const { return storage_.use_count(); }

  template <typename T> T* data() { return reinterpret_cast<T*>(raw()); }
  template <typename T> const T* data() const { return reinterpret_cast<const T*>(raw()); }
  uint8_t* raw() { return storage_ ? storage_.get() : nullptr; }
  const uint8_t* raw() const { return storage_ ? storage_.get() : nullptr; }

  // Same buffer, new shape with the same element count.
  Tensor Reshaped(Shape shape) const;
  Tensor Clone() const;
  // A copy of entries [start, start + count) along the first dimension (samples of a batch).
  Tensor SliceRows(int64_t start, int64_t count) const;

  // Reads element i of any numeric or bool tensor as double / int64 (for attributes, indices, shapes).
  double GetAsDouble(int64_t i) const;
  // Stores `value` as the tensor's element type (saturating for integers).
  void SetFromDouble(int64_t i, double value);
  int64_t GetAsInt64(int64_t i) const;
  std::vector<int64_t> ToInt64Vector() const;

 private:
  DataType dtype_ = DataType::kUndefined;
  Shape shape_;
  int64_t size_ = 0;
  Tensor(DataType dtype, Shape shape, bool zero);
  std::shared_ptr<uint8_t> storage_;
};

}  // namespace qplay
