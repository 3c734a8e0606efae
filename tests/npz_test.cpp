// .npz archives as NumPy writes them (tests/data/make_archives.py), and damaged ones.
#include <gtest/gtest.h>

#include "data/npz.h"
#include "onnx/model.h"
#include "test_paths.h"

namespace qplay {
namespace {

std::vector<uint8_t> Archive(const std::string& name) {
  auto bytes = ReadFileBytes(testing::SourcePath("tests/data/" + name));
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  return bytes.ok() ? *bytes : std::vector<uint8_t>{};
}

std::string Error(const std::vector<uint8_t>& bytes) {
  auto arrays = ParseNpz(bytes.data(), bytes.size(), "a.npz");
  return arrays.ok() ? "" : arrays.status().message();
}

TEST(Npz, ReadsStoredAndDeflatedArchivesInArchiveOrder) {
  for (const char* name : {"savez.npz", "savez_compressed.npz"}) {
    const auto bytes = Archive(name);
    auto arrays = ParseNpz(bytes.data(), bytes.size(), name);
    ASSERT_TRUE(arrays.ok()) << arrays.status().message();
    ASSERT_EQ(arrays->size(), 2u) << name;
    EXPECT_EQ((*arrays)[0].name, "x");
    EXPECT_EQ((*arrays)[0].tensor.shape(), (Shape{2, 3}));
    EXPECT_EQ((*arrays)[0].tensor.data<float>()[5], 1.25f);
    EXPECT_EQ((*arrays)[1].name, "labels");
    EXPECT_EQ((*arrays)[1].tensor.dtype(), DataType::kInt64);
    EXPECT_EQ((*arrays)[1].tensor.data<int64_t>()[0], 1);
  }
}

TEST(Npz, NamesWhatIsDamaged) {
  EXPECT_EQ(Error({1, 2, 3}), "a.npz is not a valid .npz (zip) file: it is shorter than a zip's end record");
  EXPECT_EQ(Error(std::vector<uint8_t>(100, 0)), "a.npz is not a valid .npz (zip) file: it has no end-of-central-directory record");

  auto truncated = Archive("savez.npz");
  truncated.erase(truncated.begin(), truncated.begin() + 10);
  EXPECT_EQ(Error(truncated), "a.npz is not a valid .npz (zip) file: central directory entry 0 is missing or damaged");

  auto flipped = Archive("savez.npz");
  flipped[0x80] ^= 0xff;  // a byte of x.npy's header padding
  EXPECT_EQ(Error(flipped), "a.npz/x.npy: its CRC-32 does not match its data");

  auto inflated = Archive("savez_compressed.npz");
  inflated[0x50] ^= 0x55;  // inside x.npy's deflate stream
  EXPECT_EQ(Error(inflated), "a.npz/x.npy: its deflate data is damaged (invalid distance code)");
}

TEST(Npz, AnEntryAnnouncingMoreThanTheTensorBudgetIsRefusedBeforeUnpacking) {
  auto bytes = Archive("savez_compressed.npz");
  // The first central directory entry's uncompressed size: 4 GiB - 1.
  size_t entry = 0;
  while (!(bytes[entry] == 'P' && bytes[entry + 1] == 'K' && bytes[entry + 2] == 1 && bytes[entry + 3] == 2)) ++entry;
  for (int i = 0; i < 4; ++i) bytes[entry + 24 + i] = 0xfe;
  EXPECT_EQ(Error(bytes), "a.npz/x.npy would unpack to 4278124286 bytes; the limit is 2 GiB");
}

}  // namespace
}  // namespace qplay
