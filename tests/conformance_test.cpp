// ONNX's own backend tests (Debian libonnx-testdata): every test whose ops we support passes.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "onnx/model.h"
#include "onnx_schema/onnx.pb.h"

#include "test_paths.h"
#include "tools/conformance.h"

namespace qplay {
namespace {

TEST(Conformance, NoFailuresAndAtLeast500Passed) {
  ConformanceReport report = RunConformance({testing::kTestData});
  for (const auto& c : report.cases)
    EXPECT_NE(c.outcome, "failed") << c.name << ": " << c.detail;
  EXPECT_GE(report.passed, 500);
  EXPECT_EQ(report.passed + report.failed + report.unsupported, static_cast<int>(report.cases.size()));
  EXPECT_GE(report.cases.size(), 1000u);
}

TEST(Conformance, UnsupportedTestsNameTheReason) {
  ConformanceReport report = RunConformance({testing::kTestData + "/node/test_tfidfvectorizer_tf_only_bigrams_skip0"});
  ASSERT_EQ(report.cases.size(), 1u);
  EXPECT_EQ(report.cases[0].outcome, "unsupported");
  EXPECT_NE(report.cases[0].detail.find("op TfIdfVectorizer is not supported"), std::string::npos) << report.cases[0].detail;
}

TEST(Conformance, WrongExpectedOutputIsAFailure) {
  // A copy of test_relu whose expected output is off by one element: the runner must say failed.
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "qplay_conformance_wrong" / "test_relu";
  fs::remove_all(dir.parent_path());
  fs::create_directories(dir.parent_path());
  fs::copy(testing::kTestData + "/node/test_relu", dir, fs::copy_options::recursive);
  const std::string output = (dir / "test_data_set_0" / "output_0.pb").string();
  auto bytes = ReadFileBytes(output);
  ASSERT_TRUE(bytes.ok());
  auto parsed = ParseTensorProto(bytes->data(), bytes->size(), "output_0.pb");
  ASSERT_TRUE(parsed.ok());
  onnx::TensorProto wrong;
  wrong.ParseFromArray(bytes->data(), static_cast<int>(bytes->size()));
  std::string raw = wrong.raw_data();
  ASSERT_FALSE(raw.empty());
  float first;
  std::memcpy(&first, raw.data(), 4);
  first += 1.0f;
  std::memcpy(raw.data(), &first, 4);
  wrong.set_raw_data(raw);
  std::ofstream(output, std::ios::binary) << wrong.SerializeAsString();

  ConformanceReport report = RunConformance({dir.string()});
  ASSERT_EQ(report.cases.size(), 1u);
  EXPECT_EQ(report.cases[0].outcome, "failed");
  EXPECT_NE(report.cases[0].detail.find("output 'y' element 0"), std::string::npos) << report.cases[0].detail;
}

}  // namespace
}  // namespace qplay
