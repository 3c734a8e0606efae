#include "data/npz.h"

#include <zlib.h>

#include <algorithm>
#include <optional>

#include "data/npy.h"

namespace qplay {
namespace {

constexpr uint32_t kEndOfDirectory = 0x06054b50;
constexpr uint32_t kZip64EndLocator = 0x07064b50;
constexpr uint32_t kZip64End = 0x06064b50;
constexpr uint32_t kDirectoryEntry = 0x02014b50;
constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint16_t kZip64Extra = 0x0001;
constexpr uint32_t kStored = 0, kDeflated = 8;
// Deflate's best case: a 258-byte match in under 2 bits, so at most about 1032 bytes out per byte in.
constexpr uint64_t kMaxDeflateRatio = 1032;

// Little-endian reads from bytes read out of the archive; every read is bounds-checked by its caller's `Has`.
struct Bytes {
  std::vector<uint8_t> data;
  uint64_t base = 0;  // where data[0] lies in the archive
  bool Has(uint64_t at, uint64_t length) const { return at >= base && at - base <= data.size() && length <= data.size() - (at - base); }
  uint64_t Read(uint64_t at, int width) const {
    uint64_t value = 0;
    for (int i = width - 1; i >= 0; --i) value = value << 8 | data[at - base + i];
    return value;
  }
};

// Bytes [at, at + length) of the archive, or nothing when it does not hold them all.
std::optional<Bytes> ReadBytes(const ByteSource& zip, uint64_t at, uint64_t length) {
  if (at > zip.size() || length > zip.size() - at) return std::nullopt;
  Bytes bytes{std::vector<uint8_t>(static_cast<size_t>(length)), at};
  if (!zip.Read(at, length, bytes.data.data()).ok()) return std::nullopt;
  return bytes;
}

struct Entry {
  std::string name;
  uint32_t method = 0, crc = 0, flags = 0;
  uint64_t compressed = 0, uncompressed = 0, local_header = 0;
};

struct Directory {
  uint64_t entries = 0, offset = 0, size = 0;
};

Status Broken(const std::string& source, const std::string& why) {
  return Fail(StatusCode::kInvalidArgument, source, " is not a valid .npz (zip) file: ", why);
}

Result<Directory> FindDirectory(const ByteSource& archive, const std::string& source) {
  // The end record is the last 22 bytes, unless a comment of up to 64 KiB follows it.
  if (archive.size() < 22) return Broken(source, "it is shorter than a zip's end record");
  const uint64_t lowest = archive.size() > 22 + 0xffff ? archive.size() - 22 - 0xffff : 0;
  auto tail = ReadBytes(archive, lowest, archive.size() - lowest);
  if (!tail) return Broken(source, "its end could not be read");
  const Bytes& zip = *tail;
  uint64_t end = archive.size() - 22;
  while (zip.Read(end, 4) != kEndOfDirectory) {
    if (end == lowest) return Broken(source, "it has no end-of-central-directory record");
    --end;
  }
  Directory dir{zip.Read(end + 10, 2), zip.Read(end + 16, 4), zip.Read(end + 12, 4)};
  if (zip.Read(end + 4, 2) != 0 || zip.Read(end + 6, 2) != 0) return Broken(source, "it spans several disks");
  const bool zip64 = dir.entries == 0xffff || dir.offset == 0xffffffff || dir.size == 0xffffffff;
  if (zip64) {
    auto locator = end >= 20 ? ReadBytes(archive, end - 20, 20) : std::nullopt;
    if (!locator || locator->Read(end - 20, 4) != kZip64EndLocator) return Broken(source, "its zip64 end locator is missing");
    auto record = ReadBytes(archive, locator->Read(end - 20 + 8, 8), 56);
    if (!record || record->Read(record->base, 4) != kZip64End) return Broken(source, "its zip64 end record is missing");
    dir = {record->Read(record->base + 32, 8), record->Read(record->base + 48, 8), record->Read(record->base + 40, 8)};
  }
  if (dir.offset > archive.size() || dir.size > archive.size() - dir.offset)
    return Broken(source, "its central directory lies past the end of the file");
  return dir;
}

// Replaces the fields saturated at 0xffffffff with their values from the zip64 extra field.
Status ReadZip64Extra(const Bytes& zip, uint64_t at, uint64_t length, Entry& entry, const std::string& source) {
  for (uint64_t end = at + length; at + 4 <= end;) {
    const uint64_t id = zip.Read(at, 2), size = zip.Read(at + 2, 2);
    at += 4;
    if (size > end - at) return Broken(source, "the extra field of '" + entry.name + "' overruns its entry");
    if (id == kZip64Extra) {
      uint64_t field = at;
      for (uint64_t* value : {&entry.uncompressed, &entry.compressed, &entry.local_header}) {
        if (*value != 0xffffffff) continue;
        if (field + 8 > at + size) return Broken(source, "the zip64 field of '" + entry.name + "' is short");
        *value = zip.Read(field, 8);
        field += 8;
      }
    }
    at += size;
  }
  return Status::Ok();
}

Result<std::vector<Entry>> ReadDirectory(const ByteSource& archive, const Directory& dir, const std::string& source) {
  auto directory = ReadBytes(archive, dir.offset, dir.size);
  if (!directory) return Broken(source, "its central directory could not be read");
  const Bytes& zip = *directory;
  std::vector<Entry> entries;
  uint64_t at = dir.offset;
  const uint64_t end = dir.offset + dir.size;
  for (uint64_t i = 0; i < dir.entries; ++i) {
    if (at + 46 > end || zip.Read(at, 4) != kDirectoryEntry)
      return Broken(source, "central directory entry " + std::to_string(i) + " is missing or damaged");
    const uint64_t name_length = zip.Read(at + 28, 2), extra_length = zip.Read(at + 30, 2),
                   comment_length = zip.Read(at + 32, 2);
    if (46 + name_length + extra_length + comment_length > end - at)
      return Broken(source, "central directory entry " + std::to_string(i) + " overruns the directory");
    Entry entry;
    entry.flags = static_cast<uint32_t>(zip.Read(at + 8, 2));
    entry.method = static_cast<uint32_t>(zip.Read(at + 10, 2));
    entry.crc = static_cast<uint32_t>(zip.Read(at + 16, 4));
    entry.compressed = zip.Read(at + 20, 4);
    entry.uncompressed = zip.Read(at + 24, 4);
    entry.local_header = zip.Read(at + 42, 4);
    entry.name.assign(reinterpret_cast<const char*>(zip.data.data() + (at - zip.base) + 46), name_length);
    auto extra = ReadZip64Extra(zip, at + 46 + name_length, extra_length, entry, source);
    if (!extra.ok()) return extra;
    entries.push_back(std::move(entry));
    at += 46 + name_length + extra_length + comment_length;
  }
  return entries;
}

// A deflated entry, inflated as it is read: forwards from where the last read ended, or again
// from the start for an earlier offset (a second pass over the samples).
class Inflated : public ByteSource {
 public:
  Inflated(ByteSourcePtr archive, uint64_t start, uint64_t compressed, uint64_t size, std::string name)
      : archive_(std::move(archive)), start_(start), compressed_(compressed), size_(size), name_(std::move(name)) {}
  ~Inflated() override { inflateEnd(&stream_); }
  Inflated(const Inflated&) = delete;
  Inflated& operator=(const Inflated&) = delete;

  uint64_t size() const override { return size_; }
  const std::string& name() const override { return name_; }
  Status Read(uint64_t offset, uint64_t length, uint8_t* out) const override {
    if (offset > size_ || length > size_ - offset)
      return Fail(StatusCode::kInvalidArgument, name_, ": bytes ", offset, " to ", offset + length, " were asked for, but it unpacks to ", size_);
    if (!started_ || offset < produced_) QPLAY_RETURN_IF_ERROR(Restart());
    std::vector<uint8_t> skipped;
    while (produced_ < offset) {
      skipped.resize(static_cast<size_t>(std::min<uint64_t>(offset - produced_, kChunk)));
      QPLAY_RETURN_IF_ERROR(Inflate(skipped.data(), skipped.size()));
    }
    QPLAY_RETURN_IF_ERROR(Inflate(out, length));
    return produced_ == size_ ? CheckEnds() : Status::Ok();
  }

 private:
  static constexpr uint64_t kChunk = 1u << 16;

  Status Broken(const std::string& why) const { return Fail(StatusCode::kInvalidArgument, name_, ": ", why); }
  std::string Announced() const { return "the " + std::to_string(size_) + " announced"; }

  Status Restart() const {
    if (started_) inflateEnd(&stream_);
    stream_ = z_stream{};
    started_ = inflateInit2(&stream_, -MAX_WBITS) == Z_OK;
    consumed_ = produced_ = 0;
    return started_ ? Status::Ok() : Broken("zlib could not start");
  }

  // Inflates the next `length` bytes into `out`.
  Status Inflate(uint8_t* out, uint64_t length) const {
    while (length) {
      if (stream_.avail_in == 0 && consumed_ < compressed_) {
        input_.resize(static_cast<size_t>(std::min(compressed_ - consumed_, kChunk)));
        QPLAY_RETURN_IF_ERROR(archive_->Read(start_ + consumed_, input_.size(), input_.data()));
        consumed_ += input_.size();
        stream_.next_in = input_.data();
        stream_.avail_in = static_cast<uInt>(input_.size());
      }
      const uInt asked = static_cast<uInt>(std::min(length, kChunk));
      stream_.next_out = out;
      stream_.avail_out = asked;
      const int code = inflate(&stream_, Z_NO_FLUSH);
      const uInt got = asked - stream_.avail_out;
      out += got, length -= got, produced_ += got;
      if (code == Z_STREAM_END && length) return Broken("it unpacks to fewer bytes than " + Announced());
      if (code == Z_BUF_ERROR && stream_.avail_in == 0 && consumed_ == compressed_) return Broken("its deflate data ends early");
      if (code != Z_OK && code != Z_STREAM_END && code != Z_BUF_ERROR)
        return Broken(std::string("its deflate data is damaged") + (stream_.msg ? std::string(" (") + stream_.msg + ")" : ""));
    }
    return Status::Ok();
  }

  // After the announced size, the stream must end without another byte.
  Status CheckEnds() const {
    for (;;) {
      if (stream_.avail_in == 0 && consumed_ < compressed_) {
        uint8_t one = 0;
        QPLAY_RETURN_IF_ERROR(archive_->Read(start_ + consumed_, 1, &one));
        input_.assign(1, one);
        ++consumed_;
        stream_.next_in = input_.data();
        stream_.avail_in = 1;
      }
      uint8_t extra = 0;
      stream_.next_out = &extra;
      stream_.avail_out = 1;
      const int code = inflate(&stream_, Z_NO_FLUSH);
      if (stream_.avail_out == 0) return Broken("it unpacks to more bytes than " + Announced());
      if (code == Z_STREAM_END) return Status::Ok();
      if (code == Z_BUF_ERROR && stream_.avail_in == 0 && consumed_ == compressed_) return Broken("its deflate data ends early");
      if (code != Z_OK && code != Z_BUF_ERROR) return Broken("its deflate data is damaged");
    }
  }

  ByteSourcePtr archive_;
  uint64_t start_, compressed_, size_;
  std::string name_;
  mutable z_stream stream_{};
  mutable bool started_ = false;
  mutable uint64_t consumed_ = 0, produced_ = 0;
  mutable std::vector<uint8_t> input_;
};

constexpr uint32_t kCrcStart = 0;  // zlib's crc32(0, Z_NULL, 0)

// CRC-32 continued over `size` bytes (zlib counts in uInt: a gigabyte at a time).
uint32_t Crc32(uint32_t crc, const uint8_t* data, uint64_t size) {
  for (uint64_t at = 0; at < size; at += 1u << 30)
    crc = static_cast<uint32_t>(crc32(crc, data + at, static_cast<uInt>(std::min<uint64_t>(size - at, 1u << 30))));
  return crc;
}

Status CheckCrc(const ByteSource& entry, uint32_t crc, uint32_t expected) {
  if (crc != expected) return Fail(StatusCode::kInvalidArgument, entry.name(), ": its CRC-32 does not match its data");
  return Status::Ok();
}

// Reads the entry through once, a chunk at a time, and checks its size and CRC-32, so that a
// damaged entry is refused when the archive is opened, not halfway through calibrating.
Status Verify(const ByteSource& entry, uint32_t expected) {
  constexpr uint64_t kChunk = 1u << 20;
  std::vector<uint8_t> chunk(static_cast<size_t>(std::min(entry.size(), kChunk)));
  uint32_t crc = kCrcStart;
  for (uint64_t at = 0; at < entry.size(); at += kChunk) {
    const uint64_t n = std::min(entry.size() - at, kChunk);
    QPLAY_RETURN_IF_ERROR(entry.Read(at, n, chunk.data()));
    crc = Crc32(crc, chunk.data(), n);
  }
  if (entry.size() == 0) QPLAY_RETURN_IF_ERROR(entry.Read(0, 0, chunk.data()));
  return CheckCrc(entry, crc, expected);
}

bool IsNpy(const Entry& entry) {
  const std::string suffix = ".npy";
  return entry.name.size() > suffix.size() && entry.name.compare(entry.name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The entry's bytes as a source: stored ones read in place, deflated ones inflated as they are
// read. Damage the headers show is refused now, naming the entry; the data's is found by reading
// it through (Verify, or a whole read and its CRC-32). `limit` bounds what the entry may unpack
// to (what memory can hold, when it is read whole).
Result<ByteSourcePtr> EntryBytes(const ByteSourcePtr& archive, const Entry& entry, const std::string& where, uint64_t limit) {
  auto broken = [&](const std::string& why) { return Fail(StatusCode::kInvalidArgument, where, ": ", why); };
  if (entry.flags & 1) return broken("the entry is encrypted");
  auto local = ReadBytes(*archive, entry.local_header, 30);
  if (!local || local->Read(entry.local_header, 4) != kLocalHeader) return broken("its local header is missing");
  const uint64_t start = entry.local_header + 30 + local->Read(entry.local_header + 26, 2) + local->Read(entry.local_header + 28, 2);
  if (start > archive->size() || entry.compressed > archive->size() - start)
    return broken("its " + std::to_string(entry.compressed) + " bytes of data run past the end of the file");
  if (entry.method != kStored && entry.method != kDeflated)
    return broken("it is compressed with method " + std::to_string(entry.method) + "; .npz files use stored or deflate");
  if (entry.method == kStored && entry.compressed != entry.uncompressed) return broken("a stored entry's two sizes differ");
  // Checked before reading, so that a few bytes cannot announce gigabytes.
  if (entry.method == kDeflated && entry.uncompressed / kMaxDeflateRatio > entry.compressed)
    return broken(std::to_string(entry.compressed) + " bytes of deflate data cannot unpack to the " +
                  std::to_string(entry.uncompressed) + " announced");
  if (entry.uncompressed > limit)
    return Fail(StatusCode::kInvalidArgument, where, " would unpack to ", entry.uncompressed, " bytes; the limit is ", TensorBudgetText());
  if (entry.method == kStored) return ByteRange(archive, start, entry.compressed, where);
  return ByteSourcePtr(std::make_shared<Inflated>(archive, start, entry.compressed, entry.uncompressed, where));
}

// The .npy entries of the archive, in archive order.
Result<std::vector<Entry>> NpyEntries(const ByteSource& archive) {
  auto dir = FindDirectory(archive, archive.name());
  if (!dir.ok()) return dir.status();
  auto entries = ReadDirectory(archive, *dir, archive.name());
  if (!entries.ok()) return entries.status();
  std::vector<Entry> npy;
  for (Entry& entry : *entries)
    if (IsNpy(entry)) npy.push_back(std::move(entry));
  if (npy.empty()) return Fail(StatusCode::kInvalidArgument, archive.name(), ": the archive holds no .npy arrays");
  return npy;
}

std::string ArrayName(const Entry& entry) { return entry.name.substr(0, entry.name.size() - 4); }

}  // namespace

Result<std::vector<NamedSampleArray>> OpenNpz(ByteSourcePtr archive) {
  auto entries = NpyEntries(*archive);
  if (!entries.ok()) return entries.status();
  std::vector<NamedSampleArray> arrays;
  for (const Entry& entry : *entries) {
    auto bytes = EntryBytes(archive, entry, archive->name() + "/" + entry.name, UINT64_MAX);
    if (!bytes.ok()) return bytes.status();
    QPLAY_RETURN_IF_ERROR(Verify(**bytes, entry.crc));
    auto array = OpenNpy(std::move(*bytes));
    if (!array.ok()) return array.status();
    arrays.push_back({ArrayName(entry), std::move(*array)});
  }
  return arrays;
}

Result<std::vector<NamedArray>> ParseNpz(const uint8_t* data, size_t size, const std::string& source) {
  const ByteSourcePtr archive = BorrowedBytes(data, size, source);
  auto entries = NpyEntries(*archive);
  if (!entries.ok()) return entries.status();
  std::vector<NamedArray> arrays;
  for (const Entry& entry : *entries) {
    const std::string where = source + "/" + entry.name;
    auto bytes = EntryBytes(archive, entry, where, TensorBudgetBytes());
    if (!bytes.ok()) return bytes.status();
    auto unpacked = ReadAll(**bytes);
    if (!unpacked.ok()) return unpacked.status();
    QPLAY_RETURN_IF_ERROR(CheckCrc(**bytes, Crc32(kCrcStart, unpacked->data(), unpacked->size()), entry.crc));
    auto tensor = ParseNpy(unpacked->data(), unpacked->size(), where);
    if (!tensor.ok()) return tensor.status();
    arrays.push_back({ArrayName(entry), std::move(*tensor)});
  }
  return arrays;
}

}  // namespace qplay
