// Bytes read on demand, from memory, a file, part of another source or a caller's reader (the
// page's File objects), so that a data set larger than memory can be read a few rows at a time.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace qplay {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // Copies bytes [offset, offset + length) to `out`. Fails, naming the source, when they lie past
  // its end or cannot be read. Sources keep read state: one reader at a time.
  virtual Status Read(uint64_t offset, uint64_t length, uint8_t* out) const = 0;
  // What error messages call it: a path, "x.npz/x.npy".
  virtual const std::string& name() const = 0;
};

using ByteSourcePtr = std::shared_ptr<const ByteSource>;

// Bytes in memory that the caller keeps alive and unchanged while the source is used.
ByteSourcePtr BorrowedBytes(const uint8_t* data, size_t size, std::string name);
// A file, opened now and read as asked; fails naming a folder or a file that cannot be opened.
Result<ByteSourcePtr> FileBytes(const std::string& path);
// Bytes [offset, offset + length) of `parent`, which must hold them.
ByteSourcePtr ByteRange(ByteSourcePtr parent, uint64_t offset, uint64_t length, std::string name);

// Reads all of `source` (or fails as its Read does).
Result<std::vector<uint8_t>> ReadAll(const ByteSource& source);

}  // namespace qplay
