#include "data/npz.h"

#include <zlib.h>

#include <algorithm>

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

// Little-endian reads from the archive; every read is bounds-checked by its caller's `Has`.
struct Bytes {
  const uint8_t* data;
  size_t size;
  bool Has(uint64_t at, uint64_t length) const { return at <= size && length <= size - at; }
  uint64_t Read(uint64_t at, int width) const {
    uint64_t value = 0;
    for (int i = width - 1; i >= 0; --i) value = value << 8 | data[at + i];
    return value;
  }
};

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

Result<Directory> FindDirectory(const Bytes& zip, const std::string& source) {
  // The end record is the last 22 bytes, unless a comment of up to 64 KiB follows it.
  if (zip.size < 22) return Broken(source, "it is shorter than a zip's end record");
  const uint64_t lowest = zip.size > 22 + 0xffff ? zip.size - 22 - 0xffff : 0;
  uint64_t end = zip.size - 22;
  while (zip.Read(end, 4) != kEndOfDirectory) {
    if (end == lowest) return Broken(source, "it has no end-of-central-directory record");
    --end;
  }
  Directory dir{zip.Read(end + 10, 2), zip.Read(end + 16, 4), zip.Read(end + 12, 4)};
  if (zip.Read(end + 4, 2) != 0 || zip.Read(end + 6, 2) != 0) return Broken(source, "it spans several disks");
  const bool zip64 = dir.entries == 0xffff || dir.offset == 0xffffffff || dir.size == 0xffffffff;
  if (zip64) {
    if (end < 20 || zip.Read(end - 20, 4) != kZip64EndLocator) return Broken(source, "its zip64 end locator is missing");
    const uint64_t record = zip.Read(end - 20 + 8, 8);
    if (!zip.Has(record, 56) || zip.Read(record, 4) != kZip64End) return Broken(source, "its zip64 end record is missing");
    dir = {zip.Read(record + 32, 8), zip.Read(record + 48, 8), zip.Read(record + 40, 8)};
  }
  if (!zip.Has(dir.offset, dir.size)) return Broken(source, "its central directory lies past the end of the file");
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

Result<std::vector<Entry>> ReadDirectory(const Bytes& zip, const Directory& dir, const std::string& source) {
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
    entry.name.assign(reinterpret_cast<const char*>(zip.data + at + 46), name_length);
    auto extra = ReadZip64Extra(zip, at + 46 + name_length, extra_length, entry, source);
    if (!extra.ok()) return extra;
    entries.push_back(std::move(entry));
    at += 46 + name_length + extra_length + comment_length;
  }
  return entries;
}

// The entry's bytes, inflated if needed and checked against its CRC-32.
Result<std::vector<uint8_t>> ReadEntry(const Bytes& zip, const Entry& entry, const std::string& where) {
  auto broken = [&](const std::string& why) { return Fail(StatusCode::kInvalidArgument, where, ": ", why); };
  if (entry.flags & 1) return broken("the entry is encrypted");
  if (!zip.Has(entry.local_header, 30) || zip.Read(entry.local_header, 4) != kLocalHeader)
    return broken("its local header is missing");
  const uint64_t start = entry.local_header + 30 + zip.Read(entry.local_header + 26, 2) + zip.Read(entry.local_header + 28, 2);
  if (!zip.Has(start, entry.compressed))
    return broken("its " + std::to_string(entry.compressed) + " bytes of data run past the end of the file");
  if (entry.uncompressed > TensorBudgetBytes())
    return Fail(StatusCode::kInvalidArgument, where, " would unpack to ", entry.uncompressed, " bytes; the limit is ",
                TensorBudgetText());
  if (entry.method != kStored && entry.method != kDeflated)
    return broken("it is compressed with method " + std::to_string(entry.method) + "; .npz files use stored or deflate");
  if (entry.method == kStored && entry.compressed != entry.uncompressed) return broken("a stored entry's two sizes differ");
  // Checked before allocating, so that a few bytes cannot ask for gigabytes.
  if (entry.method == kDeflated && entry.uncompressed / kMaxDeflateRatio > entry.compressed)
    return broken(std::to_string(entry.compressed) + " bytes of deflate data cannot unpack to the " +
                  std::to_string(entry.uncompressed) + " announced");
  std::vector<uint8_t> out(static_cast<size_t>(entry.uncompressed));
  if (entry.method == kStored) {
    std::copy_n(zip.data + start, out.size(), out.begin());
  } else {
    z_stream stream{};
    if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) return broken("zlib could not start");
    // zlib counts in uInt: feed and drain in chunks so sizes past 4 GiB cannot wrap.
    const uint64_t chunk = 1u << 30;
    uint64_t in_left = entry.compressed, out_left = out.size();
    stream.next_in = const_cast<Bytef*>(zip.data + start);
    stream.next_out = out.data();
    // Both buffers are refilled before each call, so Z_BUF_ERROR means one of them is used up.
    int code = Z_OK;
    while (code == Z_OK) {
      if (stream.avail_in == 0 && in_left) in_left -= stream.avail_in = static_cast<uInt>(std::min(in_left, chunk));
      if (stream.avail_out == 0 && out_left) out_left -= stream.avail_out = static_cast<uInt>(std::min(out_left, chunk));
      code = inflate(&stream, Z_NO_FLUSH);
    }
    const bool full = stream.avail_out == 0 && out_left == 0;
    const std::string why = stream.msg ? std::string(" (") + stream.msg + ")" : "";
    inflateEnd(&stream);
    const std::string announced = std::to_string(entry.uncompressed) + " announced";
    if (code == Z_BUF_ERROR) return broken(full ? "it unpacks to more bytes than the " + announced : "its deflate data ends early");
    if (code != Z_STREAM_END) return broken("its deflate data is damaged" + why);
    if (!full) return broken("it unpacks to fewer bytes than the " + announced);
  }
  uint32_t crc = static_cast<uint32_t>(crc32(0, nullptr, 0));
  for (size_t at = 0; at < out.size(); at += 1u << 30)
    crc = static_cast<uint32_t>(crc32(crc, out.data() + at, static_cast<uInt>(std::min<size_t>(out.size() - at, 1u << 30))));
  if (crc != entry.crc) return broken("its CRC-32 does not match its data");
  return out;
}

}  // namespace

Result<std::vector<NamedArray>> ParseNpz(const uint8_t* data, size_t size, const std::string& source) {
  const Bytes zip{data, size};
  auto dir = FindDirectory(zip, source);
  if (!dir.ok()) return dir.status();
  auto entries = ReadDirectory(zip, *dir, source);
  if (!entries.ok()) return entries.status();
  std::vector<NamedArray> arrays;
  for (const Entry& entry : *entries) {
    const std::string suffix = ".npy";
    if (entry.name.size() <= suffix.size() || entry.name.compare(entry.name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    const std::string where = source + "/" + entry.name;
    auto bytes = ReadEntry(zip, entry, where);
    if (!bytes.ok()) return bytes.status();
    auto tensor = ParseNpy(bytes->data(), bytes->size(), where);
    if (!tensor.ok()) return tensor.status();
    arrays.push_back({entry.name.substr(0, entry.name.size() - suffix.size()), std::move(*tensor)});
  }
  if (arrays.empty()) return Fail(StatusCode::kInvalidArgument, source, ": the archive holds no .npy arrays");
  return arrays;
}

}  // namespace qplay
