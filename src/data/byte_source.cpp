#include "data/byte_source.h"

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/tensor.h"

namespace qplay {
namespace {

Status PastTheEnd(const ByteSource& source, uint64_t offset, uint64_t length) {
  return Fail(StatusCode::kInvalidArgument, source.name(), ": bytes ", offset, " to ", offset + length, " were asked for, but it holds ",
              source.size());
}

bool Holds(const ByteSource& source, uint64_t offset, uint64_t length) {
  return offset <= source.size() && length <= source.size() - offset;
}

class Borrowed : public ByteSource {
 public:
  Borrowed(const uint8_t* data, size_t size, std::string name) : data_(data), size_(size), name_(std::move(name)) {}
  uint64_t size() const override { return size_; }
  Status Read(uint64_t offset, uint64_t length, uint8_t* out) const override {
    if (!Holds(*this, offset, length)) return PastTheEnd(*this, offset, length);
    if (length) std::memcpy(out, data_ + offset, length);
    return Status::Ok();
  }
  const std::string& name() const override { return name_; }

 private:
  const uint8_t* data_;
  size_t size_;
  std::string name_;
};

class File : public ByteSource {
 public:
  File(std::FILE* file, uint64_t size, std::string name) : file_(file), size_(size), name_(std::move(name)) {}
  ~File() override { std::fclose(file_); }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  uint64_t size() const override { return size_; }
  Status Read(uint64_t offset, uint64_t length, uint8_t* out) const override {
    if (!Holds(*this, offset, length)) return PastTheEnd(*this, offset, length);
    if (fseeko(file_, static_cast<off_t>(offset), SEEK_SET) != 0 || std::fread(out, 1, length, file_) != length)
      return Fail(StatusCode::kInvalidArgument, "reading ", length, " bytes at ", offset, " of '", name_, "' failed");
    return Status::Ok();
  }
  const std::string& name() const override { return name_; }

 private:
  std::FILE* file_;
  uint64_t size_;
  std::string name_;
};

class Range : public ByteSource {
 public:
  Range(ByteSourcePtr parent, uint64_t offset, uint64_t length, std::string name)
      : parent_(std::move(parent)), offset_(offset), length_(length), name_(std::move(name)) {}
  uint64_t size() const override { return length_; }
  Status Read(uint64_t offset, uint64_t length, uint8_t* out) const override {
    if (!Holds(*this, offset, length)) return PastTheEnd(*this, offset, length);
    return parent_->Read(offset_ + offset, length, out);
  }
  const std::string& name() const override { return name_; }

 private:
  ByteSourcePtr parent_;
  uint64_t offset_, length_;
  std::string name_;
};

}  // namespace

ByteSourcePtr BorrowedBytes(const uint8_t* data, size_t size, std::string name) {
  return std::make_shared<Borrowed>(data, size, std::move(name));
}

Result<ByteSourcePtr> FileBytes(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) return Fail(StatusCode::kInvalidArgument, "'", path, "' is a folder, not a file");
  const uint64_t size = std::filesystem::file_size(path, error);
  std::FILE* file = error ? nullptr : std::fopen(path.c_str(), "rb");
  if (!file) return Fail(StatusCode::kInvalidArgument, "cannot open '", path, "'");
  return ByteSourcePtr(std::make_shared<File>(file, size, path));
}

ByteSourcePtr ByteRange(ByteSourcePtr parent, uint64_t offset, uint64_t length, std::string name) {
  return std::make_shared<Range>(std::move(parent), offset, length, std::move(name));
}

Result<std::vector<uint8_t>> ReadAll(const ByteSource& source) {
  if (source.size() > TensorBudgetBytes())
    return Fail(StatusCode::kInvalidArgument, source.name(), " holds ", source.size(), " bytes; the limit is ", TensorBudgetText());
  std::vector<uint8_t> bytes(static_cast<size_t>(source.size()));
  QPLAY_RETURN_IF_ERROR(source.Read(0, bytes.size(), bytes.data()));
  return bytes;
}

}  // namespace qplay
