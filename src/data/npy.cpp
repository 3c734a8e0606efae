#include "data/npy.h"

#include <cstring>
#include <regex>

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

}  // namespace

Result<Tensor> ParseNpy(const uint8_t* data, size_t size, const std::string& source) {
  static const uint8_t kMagic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (size < 10 || std::memcmp(data, kMagic, 6) != 0)
    return Fail(StatusCode::kInvalidArgument, source, " is not a .npy file (missing the \\x93NUMPY magic)");
  const int major = data[6];
  size_t header_len, offset;
  if (major == 1) {
    header_len = data[8] | (data[9] << 8);
    offset = 10;
  } else {
    if (size < 12) return Fail(StatusCode::kInvalidArgument, source, " is truncated");
    header_len = data[8] | (data[9] << 8) | (data[10] << 16) | (static_cast<size_t>(data[11]) << 24);
    offset = 12;
  }
  if (offset + header_len > size) return Fail(StatusCode::kInvalidArgument, source, " is truncated in its header");
  const std::string header(reinterpret_cast<const char*>(data + offset), header_len);

  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr':\\s*'([^']+)'")))
    return Fail(StatusCode::kInvalidArgument, source, ": header has no descr: ", header);
  const std::string descr = m[1];
  // '<' little-endian, '|' not applicable (1 byte), '=' native (little-endian on every target).
  const bool little = !descr.empty() && (descr[0] == '<' || descr[0] == '|' || descr[0] == '=' ||
                                         (descr[0] == '>' && descr.size() == 3 && descr[2] == '1'));
  DataType dtype = DataType::kUndefined;
  for (const auto& t : kTypes)
    if (little && descr.substr(1) == std::string(t.descr).substr(1)) dtype = t.dtype;
  if (dtype == DataType::kUndefined)
    return Fail(StatusCode::kUnsupported, source, " has dtype '", descr,
                "'; qplay reads little-endian float32/64, int8/16/32/64, uint8/16/32/64 and bool");
  if (std::regex_search(header, std::regex("'fortran_order':\\s*True")))
    return Fail(StatusCode::kUnsupported, source, " is in Fortran order; save it with np.ascontiguousarray");
  if (!std::regex_search(header, m, std::regex("'shape':\\s*\\(([^)]*)\\)")))
    return Fail(StatusCode::kInvalidArgument, source, ": header has no shape: ", header);
  Shape shape;
  const std::string dims = m[1];
  static const std::regex kNumber("\\d+");
  for (std::sregex_iterator it(dims.begin(), dims.end(), kNumber), end; it != end; ++it)
    shape.push_back(std::stoll(it->str()));

  const std::optional<int64_t> count = CheckedNumElements(shape);
  if (!count) return Fail(StatusCode::kInvalidArgument, source, " has invalid shape ", ShapeToString(shape));
  const size_t body = offset + header_len, needed = static_cast<size_t>(*count) * ElementSize(dtype);
  if (size - body < needed)
    return Fail(StatusCode::kInvalidArgument, source, " holds ", size - body, " bytes of data but shape ",
                ShapeToString(shape), " of ", DataTypeName(dtype), " needs ", needed);
  auto tensor = Tensor::Allocate(dtype, shape, source);
  if (tensor.ok()) std::memcpy(tensor->raw(), data + body, needed);
  return tensor;
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
