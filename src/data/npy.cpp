#include "data/npy.h"

#include <cctype>
#include <cstring>

namespace qplay {
namespace {

struct NpyType {
  const char* descr;
  DataType dtype;
};
constexpr NpyType kTypes[] = {
    {"<f4", DataType::kFloat}, {"<f8", DataType::kDouble}, {"|i1", DataType::kInt8},  {"|u1", DataType::kUint8},
    {"<i2", DataType::kInt16}, {"<u2", DataType::kUint16}, {"<i4", DataType::kInt32}, {"<u4", DataType::kUint32},
    {"<i8", DataType::kInt64}, {"<u8", DataType::kUint64}, {"|b1", DataType::kBool},
};

// Where the value of 'key' starts in the header dict (after the colon and spaces), or npos.
// The header is untrusted: it is scanned by hand, in one pass, without regular expressions.
size_t ValueOf(const std::string& header, const std::string& key) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos) return at;
  at += key.size() + 2;
  while (at < header.size() && std::isspace(static_cast<unsigned char>(header[at]))) ++at;
  if (at >= header.size() || header[at] != ':') return std::string::npos;
  ++at;
  while (at < header.size() && std::isspace(static_cast<unsigned char>(header[at]))) ++at;
  return at;
}

// The dims in "(3, 28, 28)": digits separated by commas and spaces, each at most 2^53.
Result<Shape> ParseShape(const std::string& header, size_t at, const std::string& source) {
  auto bad = [&](const std::string& why) {
    return Fail(StatusCode::kInvalidArgument, source, ": the header's shape ", why);
  };
  if (at == std::string::npos || at >= header.size() || header[at] != '(') return bad("is missing");
  Shape shape;
  for (++at; at < header.size() && header[at] != ')'; ++at) {
    const char c = header[at];
    if (c == ',' || std::isspace(static_cast<unsigned char>(c))) continue;
    if (!std::isdigit(static_cast<unsigned char>(c))) return bad(std::string("has '") + c + "' where a dimension should be");
    int64_t dim = 0;
    for (; at < header.size() && std::isdigit(static_cast<unsigned char>(header[at])); ++at) {
      dim = dim * 10 + (header[at] - '0');
      if (dim > (int64_t{1} << 53)) return bad("has a dimension over 2^53");
    }
    --at;
    shape.push_back(dim);
  }
  if (at >= header.size()) return bad("is not closed");
  return shape;
}

}  // namespace

Result<SampleArray> OpenNpy(ByteSourcePtr bytes) {
  static const uint8_t kMagic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  const std::string& source = bytes->name();
  const uint64_t size = bytes->size();
  uint8_t lead[12] = {};
  if (size >= 10) QPLAY_RETURN_IF_ERROR(bytes->Read(0, 10, lead));
  if (size < 10 || std::memcmp(lead, kMagic, 6) != 0)
    return Fail(StatusCode::kInvalidArgument, source, " is not a .npy file (missing the \\x93NUMPY magic)");
  const int major = lead[6];
  uint64_t header_len, offset;
  if (major == 1) {
    header_len = lead[8] | (lead[9] << 8);
    offset = 10;
  } else {
    if (size < 12) return Fail(StatusCode::kInvalidArgument, source, " is truncated");
    QPLAY_RETURN_IF_ERROR(bytes->Read(10, 2, lead + 10));
    header_len = lead[8] | (lead[9] << 8) | (lead[10] << 16) | (static_cast<uint64_t>(lead[11]) << 24);
    offset = 12;
  }
  if (header_len > size - offset)
    return Fail(StatusCode::kInvalidArgument, source, " is truncated in its header (", header_len, " bytes announced, ",
                size - offset, " present)");
  std::string header(header_len, '\0');
  QPLAY_RETURN_IF_ERROR(bytes->Read(offset, header_len, reinterpret_cast<uint8_t*>(header.data())));

  const size_t descr_at = ValueOf(header, "descr");
  const size_t descr_end = descr_at == std::string::npos ? descr_at : header.find('\'', descr_at + 1);
  if (descr_at == std::string::npos || header[descr_at] != '\'' || descr_end == std::string::npos)
    return Fail(StatusCode::kInvalidArgument, source, ": the header has no descr");
  const std::string descr = header.substr(descr_at + 1, descr_end - descr_at - 1);
  // '<' little-endian, '|' not applicable (1 byte), '=' native (little-endian on every target).
  const bool little = !descr.empty() && (descr[0] == '<' || descr[0] == '|' || descr[0] == '=' ||
                                         (descr[0] == '>' && descr.size() == 3 && descr[2] == '1'));
  DataType dtype = DataType::kUndefined;
  for (const auto& t : kTypes)
    if (little && descr.substr(1) == std::string(t.descr).substr(1)) dtype = t.dtype;
  if (dtype == DataType::kUndefined)
    return Fail(StatusCode::kUnsupported, source, " has dtype '", descr,
                "'; qplay reads little-endian float32/64, int8/16/32/64, uint8/16/32/64 and bool");
  const size_t fortran = ValueOf(header, "fortran_order");
  if (fortran != std::string::npos && header.compare(fortran, 4, "True") == 0)
    return Fail(StatusCode::kUnsupported, source, " is in Fortran order; save it with np.ascontiguousarray");
  auto shape = ParseShape(header, ValueOf(header, "shape"), source);
  if (!shape.ok()) return shape.status();
  return SampleArray::InBytes(std::move(bytes), offset + header_len, dtype, std::move(*shape));
}

Result<Tensor> ParseNpy(const uint8_t* data, size_t size, const std::string& source) {
  auto array = OpenNpy(BorrowedBytes(data, size, source));
  if (!array.ok()) return array.status();
  return array->All();
}

Result<std::vector<uint8_t>> EncodeNpy(const Tensor& tensor) {
  const char* descr = nullptr;
  for (const auto& t : kTypes)
    if (t.dtype == tensor.dtype()) descr = t.descr;
  if (!descr) return Fail(StatusCode::kUnsupported, "cannot write ", DataTypeName(tensor.dtype()), " to .npy");
  std::string shape = "(";
  for (size_t i = 0; i < tensor.shape().size(); ++i) shape += std::to_string(tensor.shape()[i]) + (tensor.shape().size() == 1 ? "," : (i + 1 < tensor.shape().size() ? ", " : ""));
  shape += ")";
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  const size_t unpadded = 10 + header.size() + 1;
  header += std::string((64 - unpadded % 64) % 64, ' ') + "\n";
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                              static_cast<uint8_t>(header.size() & 0xff), static_cast<uint8_t>(header.size() >> 8)};
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), tensor.raw(), tensor.raw() + tensor.nbytes());
  return out;
}

}  // namespace qplay
