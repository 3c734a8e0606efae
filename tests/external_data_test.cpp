// Models whose tensors live in external data files (every model past 2 GB, and many smaller):
// read from the model's folder by the CLI's loader, or from files given in memory, with the
// location kept inside the folder and offsets and lengths checked against the file; written on
// request (and past 2 GB) with every tensor of 1 KiB or more in the data file.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "model_builder.h"
#include "onnx/model.h"
#include "runtime/session.h"

namespace qplay {
namespace {

namespace fs = std::filesystem;

// y = x + w, w [4] float32 in `location` at `offset`.
std::string AddModel(const std::string& location, int64_t offset, int64_t length = 16) {
  testing::ModelBuilder b(13);
  b.Input("x", {4}).Output("y");
  auto* w = b.graph()->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(4);
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"location", location}, {"offset", std::to_string(offset)},
                                   {"length", std::to_string(length)}}) {
    auto* entry = w->add_external_data();
    entry->set_key(key);
    entry->set_value(value);
  }
  b.Node("Add", {"x", "w"}, {"y"}, "add");
  return b.Bytes();
}

std::vector<uint8_t> WeightBytes() {
  std::vector<uint8_t> bytes(8, 0xEE);  // 8 bytes before the weights
  const float w[4] = {1, 2, 3, 4};
  bytes.insert(bytes.end(), reinterpret_cast<const uint8_t*>(w), reinterpret_cast<const uint8_t*>(w) + sizeof w);
  return bytes;
}

fs::path WriteModelFolder(const std::string& model) {
  // One folder per test: ctest runs this file's tests in parallel processes.
  const fs::path folder = fs::temp_directory_path() / ("qplay_external_data_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
  fs::create_directories(folder);
  std::ofstream(folder / "model.onnx", std::ios::binary) << model;
  const auto weights = WeightBytes();
  std::ofstream(folder / "model.data", std::ios::binary).write(reinterpret_cast<const char*>(weights.data()), weights.size());
  return folder;
}

std::vector<float> RunAdd(const Model& model) {
  auto session = Session::Create(model);
  EXPECT_TRUE(session.ok()) << session.status().message();
  auto out = session->Run({{"x", Tensor::FromVector<float>({4}, {10, 10, 10, 10})}});
  EXPECT_TRUE(out.ok()) << out.status().message();
  const float* y = out->at("y").data<float>();
  return {y, y + 4};
}

TEST(ExternalData, TheCliLoaderReadsItFromTheModelsFolder) {
  const fs::path folder = WriteModelFolder(AddModel("model.data", 8));
  auto model = LoadModelFile((folder / "model.onnx").string());
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(RunAdd(*model), (std::vector<float>{11, 12, 13, 14}));
}

// Files held in memory, as the page's are: copied a range at a time.
ExternalDataReader InMemory(std::map<std::string, std::vector<uint8_t>> files) {
  std::map<std::string, ExternalFile> given;
  for (auto& [name, bytes] : files) {
    auto held = std::make_shared<std::vector<uint8_t>>(std::move(bytes));
    given[name] = {static_cast<int64_t>(held->size()),
                   [held](int64_t offset, int64_t length, uint8_t* out) { std::memcpy(out, held->data() + offset, length); }};
  }
  return ExternalDataFromFiles(std::move(given));
}

TEST(ExternalData, FilesGivenInMemoryAreReadByName) {
  const std::string bytes = AddModel("model.data", 8);
  auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "model.onnx",
                         InMemory({{"model.data", WeightBytes()}}));
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(RunAdd(*model), (std::vector<float>{11, 12, 13, 14}));
  auto missing = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "model.onnx", InMemory({}));
  EXPECT_EQ(missing.status().message(),
            "model.onnx: initializer 'w': the external data file 'model.data' was not given with the model");
}

TEST(ExternalData, LocationsOutsideTheFolderAndShortFilesAreRefused) {
  for (const auto& [location, offset, length, message] :
       {std::tuple<std::string, int64_t, int64_t, std::string>{"../model.data", 0, 16, "external data location '../model.data' is outside the model's folder"},
        {"/etc/passwd", 0, 16, "external data location '/etc/passwd' is outside the model's folder"},
        {"model.data", 16, 16, "external data 'model.data' has 24 bytes; the tensor needs 16 from offset 16"},
        {"model.data", 0, 12, "initializer 'w' of shape [4] and type float32 needs 16 bytes but its external data is 12 bytes long"}}) {
    const fs::path folder = WriteModelFolder(AddModel(location, offset, length));
    auto model = LoadModelFile((folder / "model.onnx").string());
    ASSERT_FALSE(model.ok()) << location;
    EXPECT_NE(model.status().message().find(message), std::string::npos) << model.status().message();
  }
}

TEST(ExternalData, ExportingOnRequestMovesTensorsOfAKilobyteOrMoreToTheDataFile) {
  // y = x + w with w [512] (2 KiB, external) and b [4] (16 bytes, inline).
  testing::ModelBuilder b(13);
  b.Input("x", {512}).Output("y");
  b.Initializer("w", {512}, std::vector<float>(512, 0.5f)).Initializer("b", {1}, {2.0f});
  b.Node("Add", {"x", "w"}, {"s"}, "add");
  b.Node("Add", {"s", "b"}, {"y"}, "bias");
  const std::string bytes = b.Bytes();
  auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "model.onnx");
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto inline_only = ExportModelFiles(*model, ExternalData::kAuto, "model.onnx.data");
  ASSERT_TRUE(inline_only.ok()) << inline_only.status().message();
  EXPECT_TRUE(inline_only->data_location.empty());
  auto files = ExportModelFiles(*model, ExternalData::kAlways, "model.onnx.data");
  ASSERT_TRUE(files.ok()) << files.status().message();
  EXPECT_EQ(files->data_location, "model.onnx.data");
  EXPECT_EQ(files->data.size(), 2048u);
  EXPECT_LT(files->model.size(), 1024u);
  auto reloaded = LoadModel(files->model.data(), files->model.size(), "model.onnx",
                            InMemory({{"model.onnx.data", files->data}}));
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().message();
  auto session = Session::Create(*reloaded);
  ASSERT_TRUE(session.ok()) << session.status().message();
  auto out = session->Run({{"x", Tensor(DataType::kFloat, {512})}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->at("y").data<float>()[511], 2.5f);
}

}  // namespace
}  // namespace qplay
