#include <gtest/gtest.h>

#include "data/npy.h"

namespace qplay {
namespace {

TEST(Npy, RoundTripsEveryType) {
  for (DataType type : {DataType::kFloat, DataType::kDouble, DataType::kInt8, DataType::kUint8, DataType::kInt32,
                        DataType::kInt64, DataType::kBool}) {
    Tensor t(type, {2, 3});
    for (int64_t i = 0; i < t.nbytes(); ++i) t.raw()[i] = static_cast<uint8_t>(type == DataType::kBool ? i % 2 : i * 7);
    auto bytes = EncodeNpy(t);
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ((bytes->size() - t.nbytes()) % 64, 0u) << "header is padded to 64 bytes";
    auto back = ParseNpy(bytes->data(), bytes->size(), "t.npy");
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(back->dtype(), type);
    EXPECT_EQ(back->shape(), t.shape());
    EXPECT_EQ(std::vector<uint8_t>(back->raw(), back->raw() + back->nbytes()), std::vector<uint8_t>(t.raw(), t.raw() + t.nbytes()));
  }
}

TEST(Npy, ErrorsNameTheFileAndTheProblem) {
  const std::string text = "hello";
  auto r = ParseNpy(reinterpret_cast<const uint8_t*>(text.data()), text.size(), "x.npy");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "x.npy is not a .npy file (missing the \\x93NUMPY magic)");

  auto bytes = EncodeNpy(Tensor(DataType::kFloat, {4})).value();
  bytes.resize(bytes.size() - 4);
  r = ParseNpy(bytes.data(), bytes.size(), "x.npy");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "x.npy holds 12 bytes of data but shape [4] of float32 needs 16");

  std::string complex = std::string("\x93NUMPY\x01\x00", 8);
  std::string header = "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }\n";
  complex += std::string(1, static_cast<char>(header.size())) + std::string(1, '\0') + header + std::string(8, '\0');
  r = ParseNpy(reinterpret_cast<const uint8_t*>(complex.data()), complex.size(), "c.npy");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("c.npy has dtype '<c8'"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace qplay
