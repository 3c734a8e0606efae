#include "core/tensor.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#ifdef __EMSCRIPTEN__
#include <emscripten/heap.h>
#include <malloc.h>
#endif

namespace qplay {

int64_t NumElements(const Shape& shape) {
  // A zero anywhere makes the product 0 even where the other dims would overflow int64.
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::optional<int64_t> CheckedNumElements(const Shape& shape) {
  constexpr int64_t kMax = int64_t{1} << 40;
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d > 0 && n > kMax / d)) return std::nullopt;
    n *= d;
  }
  return n;
}

namespace {
std::atomic<uint64_t> max_tensor_bytes{kDefaultMaxTensorBytes};
}  // namespace

uint64_t MaxTensorBytes() { return max_tensor_bytes.load(); }
void SetMaxTensorBytes(uint64_t bytes) { max_tensor_bytes.store(bytes); }

namespace {

std::string BytesText(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 30) && bytes % (uint64_t{1} << 30) == 0) return std::to_string(bytes >> 30) + " GiB";
  if (bytes >= (uint64_t{1} << 20) && bytes % (uint64_t{1} << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes < 1000000) return std::to_string(bytes) + " bytes";
  char text[32];
  std::snprintf(text, sizeof text, "%.3g bytes", static_cast<double>(bytes));
  return text;
}

// What the wasm heap can still grow to, less headroom for everything that is not a tensor.
std::optional<uint64_t> HeapRoom() {
#ifdef __EMSCRIPTEN__
  constexpr uint64_t kHeadroom = uint64_t{64} << 20;
  const uint64_t in_use = static_cast<uint64_t>(mallinfo().uordblks), heap_max = emscripten_get_heap_max();
  return heap_max > in_use + kHeadroom ? heap_max - in_use - kHeadroom : 0;
#else
  return std::nullopt;  // natively the operating system decides
#endif
}

}  // namespace

std::string MaxTensorBytesText() { return BytesText(MaxTensorBytes()); }

uint64_t TensorBudgetBytes() { return std::min(MaxTensorBytes(), HeapRoom().value_or(MaxTensorBytes())); }

std::string TensorBudgetText() {
  const uint64_t budget = TensorBudgetBytes();
  return budget < MaxTensorBytes() ? BytesText(budget) + " (what the wasm heap can still grow to)" : BytesText(budget);
}

Status CheckTensorSize(DataType dtype, const Shape& shape, const std::string& what) {
  double bytes = static_cast<double>(ElementSize(dtype));
  for (int64_t d : shape) {
    if (d < 0) return Fail(StatusCode::kInvalidArgument, what, " would have shape ", ShapeToString(shape), " with a negative dimension");
    bytes *= static_cast<double>(d);
  }
  // Counting the heap in use walks malloc's chunks, so small tensors skip it.
  constexpr double kSmall = 16 << 20;
  const double limit = static_cast<double>(bytes < kSmall ? MaxTensorBytes() : TensorBudgetBytes());
  if (bytes <= limit) return Status::Ok();
  char size[32];
  std::snprintf(size, sizeof size, "%.3g", bytes);
  return Fail(StatusCode::kInvalidArgument, what, " would produce ", size, " bytes (", DataTypeName(dtype), " ",
              ShapeToString(shape), "); the limit is ", TensorBudgetText());
}

std::string ShapeToString(const Shape& shape) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << "]";
  return out.str();
}

Tensor::Tensor(DataType dtype, Shape shape) : Tensor(dtype, std::move(shape), /*zero=*/true) {}

Tensor::Tensor(DataType dtype, Shape shape, bool zero) : dtype_(dtype), shape_(std::move(shape)) {
  // Every allocation passes here: the common case is checked without building a Status.
  const std::optional<int64_t> elements = CheckedNumElements(shape_);
  if (!elements || static_cast<uint64_t>(*elements) * ElementSize(dtype) > std::min(MaxTensorBytes(), uint64_t{16} << 20)) {
    const Status fits = CheckTensorSize(dtype, shape_, "a tensor");
    if (!fits.ok()) throw AllocationRefused(fits.message());
  }
  size_ = NumElements(shape_);
  constexpr size_t kAlignment = 64;
  size_t bytes = (nbytes() + kAlignment - 1) / kAlignment * kAlignment;
  if (bytes == 0) bytes = kAlignment;
  void* memory = std::aligned_alloc(kAlignment, bytes);
  if (!memory)
    throw AllocationRefused(Message("out of memory: a tensor (", DataTypeName(dtype), " ", ShapeToString(shape_), ") needs ",
                                    BytesText(nbytes())));
  if (zero) std::memset(memory, 0, bytes);
  storage_ = std::shared_ptr<uint8_t>(static_cast<uint8_t*>(memory), [](uint8_t* p) { std::free(p); });
}

namespace {
bool poison_uninitialized = false;
}  // namespace

void PoisonUninitializedTensors(bool on) { poison_uninitialized = on; }

Tensor Tensor::Uninitialized(DataType dtype, Shape shape) {
  Tensor t(dtype, std::move(shape), /*zero=*/false);
  if (poison_uninitialized && !t.empty()) std::memset(t.raw(), 0xA5, t.nbytes());
  return t;
}

Result<Tensor> Tensor::Allocate(DataType dtype, Shape shape, const std::string& what) {
  if (!CheckedNumElements(shape)) return Fail(StatusCode::kInvalidArgument, what, " has invalid dims ", ShapeToString(shape));
  QPLAY_RETURN_IF_ERROR(CheckTensorSize(dtype, shape, what));
  try {
    return Tensor(dtype, std::move(shape));
  } catch (const AllocationRefused& e) {
    return Fail(StatusCode::kInvalidArgument, what, ": ", e.what());
  }
}

Tensor Tensor::View(DataType dtype, Shape shape, std::shared_ptr<uint8_t> storage) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.size_ = NumElements(t.shape_);
  t.storage_ = std::move(storage);
  return t;
}

Tensor Tensor::Reshaped(Shape shape) const {
  Tensor t = *this;
  t.shape_ = std::move(shape);
  t.size_ = NumElements(t.shape_);
  return t;
}

Tensor Tensor::Clone() const {
  Tensor t(dtype_, shape_);
  if (nbytes()) std::memcpy(t.raw(), raw(), nbytes());
  return t;
}

Tensor Tensor::SliceRows(int64_t start, int64_t count) const {
  Shape shape = shape_;
  shape[0] = count;
  Tensor out(dtype_, shape);
  const size_t per_row = shape_[0] ? nbytes() / static_cast<size_t>(shape_[0]) : 0;
  if (count > 0) std::memcpy(out.raw(), raw() + start * per_row, count * per_row);
  return out;
}

double Tensor::GetAsDouble(int64_t i) const {
  double v = 0;
  VisitAny(dtype_, [&](auto tag) { v = static_cast<double>(data<decltype(tag)>()[i]); });
  return v;
}

void Tensor::SetFromDouble(int64_t i, double value) {
  if (IsFourBit(dtype_) && value == value) value = std::clamp(value, IntegerMin(dtype_), IntegerMax(dtype_));
  VisitAny(dtype_, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) data<T>()[i] = value != 0;
    else data<T>()[i] = ConvertFromDouble<T>(value);
  });
}

int64_t Tensor::GetAsInt64(int64_t i) const {
  int64_t v = 0;
  VisitAny(dtype_, [&](auto tag) { v = static_cast<int64_t>(data<decltype(tag)>()[i]); });
  return v;
}

std::vector<int64_t> Tensor::ToInt64Vector() const {
  std::vector<int64_t> out(static_cast<size_t>(size_));
  for (int64_t i = 0; i < size_; ++i) out[i] = GetAsInt64(i);
  return out;
}

}  // namespace qplay
