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

TEST(Npz, AnEntryPastTheTensorBudgetIsRefusedWhenReadWholeButStreamedWhenOpened) {
  const auto bytes = Archive("savez_compressed.npz");
  SetMaxTensorBytes(64);
  EXPECT_EQ(Error(bytes), "a.npz/x.npy would unpack to 152 bytes; the limit is 64 bytes");
  auto opened = OpenNpz(BorrowedBytes(bytes.data(), bytes.size(), "a.npz"));
  SetMaxTensorBytes(kDefaultMaxTensorBytes);
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  EXPECT_FALSE((*opened)[0].array.in_memory());
}

// What calibration does with a file: rows read a run at a time, in order and again from the start.
TEST(Npz, OpenedArraysReadTheirRowsAsAsked) {
  for (const char* name : {"savez.npz", "savez_compressed.npz"}) {
    const auto bytes = Archive(name);
    auto opened = OpenNpz(BorrowedBytes(bytes.data(), bytes.size(), name));
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    const SampleArray& x = (*opened)[0].array;
    EXPECT_EQ(x.shape(), (Shape{2, 3}));
    for (int pass = 0; pass < 2; ++pass) {
      for (int64_t row : {0, 1}) {
        auto rows = x.Rows(row, 1);
        ASSERT_TRUE(rows.ok()) << rows.status().message();
        EXPECT_EQ(rows->shape(), (Shape{1, 3}));
        if (row == 1) EXPECT_EQ(rows->data<float>()[2], 1.25f) << name;
      }
    }
    auto last_only = x.Rows(1, 1);  // a jump backwards from the end restarts the stream
    ASSERT_TRUE(last_only.ok());
    EXPECT_EQ(last_only->data<float>()[2], 1.25f);
  }
}

TEST(Npz, AnOpenedArchiveIsCheckedThroughWhenOpened) {
  auto flipped = Archive("savez.npz");
  flipped[0x80] ^= 0xff;
  EXPECT_EQ(OpenNpz(BorrowedBytes(flipped.data(), flipped.size(), "a.npz")).status().message(),
            "a.npz/x.npy: its CRC-32 does not match its data");
  auto inflated = Archive("savez_compressed.npz");
  inflated[0x50] ^= 0x55;
  EXPECT_EQ(OpenNpz(BorrowedBytes(inflated.data(), inflated.size(), "a.npz")).status().message(),
            "a.npz/x.npy: its deflate data is damaged (invalid distance code)");
}

}  // namespace
}  // namespace qplay
