// Loading and saving without changes gives back the same bytes, for every model in ONNX's test data.
#include <gtest/gtest.h>

#include <filesystem>

#include "model_builder.h"
#include "onnx/model.h"
#include "test_paths.h"

namespace qplay {
namespace {

TEST(Roundtrip, EveryConformanceModelIsByteIdentical) {
  int checked = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(testing::kTestData)) {
    if (entry.path().filename() != "model.onnx") continue;
    auto bytes = ReadFileBytes(entry.path().string());
    ASSERT_TRUE(bytes.ok());
    auto model = LoadModel(bytes->data(), bytes->size(), entry.path().string());
    ASSERT_TRUE(model.ok()) << model.status().message();
    auto saved = SaveModel(*model);
    ASSERT_TRUE(saved.ok());
    EXPECT_EQ(*saved, *bytes) << entry.path();
    ++checked;
  }
  EXPECT_GT(checked, 1000);
}

TEST(Roundtrip, KeepsMetadataDocStringsFunctionsAndUnknownFields) {
  testing::ModelBuilder b;
  b.Input("x", {1}).Output("y");
  b.Node("Relu", {"x"}, {"y"})->set_doc_string("why this node exists");
  auto* meta = b.proto().add_metadata_props();
  meta->set_key("author");
  meta->set_value("qplay");
  b.proto().set_doc_string("model docs");
  b.proto().add_functions()->set_name("my_function");
  std::string bytes = b.Bytes();
  bytes += std::string("\xa8\x06\x2a", 3);  // field 101, varint 42: unknown to ONNX 1.12
  auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto saved = SaveModel(*model);
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(std::string(saved->begin(), saved->end()), bytes);
}

}  // namespace
}  // namespace qplay
