// The bundled examples: data sets have the promised form, and the float runtime reproduces
// PyTorch's prediction on every evaluation image, hence the recorded float accuracy.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "onnx/model.h"
#include "runtime/session.h"
#include "test_data.h"
#include "test_paths.h"

namespace qplay {
namespace {

namespace fs = std::filesystem;

Tensor LoadNpy(const std::string& relative) { return testing::LoadSourceNpy("examples/" + relative); }

nlohmann::json LoadCard(const std::string& name) {
  std::ifstream in(testing::SourcePath("examples/models/" + name + ".json"));
  return nlohmann::json::parse(in);
}

TEST(ExampleData, SetsHaveTheDocumentedShapesAndOnePngPerImage) {
  for (const auto& [set, count] : {std::pair<std::string, int64_t>{"calibration", 200}, {"evaluation", 1000}}) {
    Tensor images = LoadNpy("data/" + set + "_images.npy");
    Tensor labels = LoadNpy("data/" + set + "_labels.npy");
    EXPECT_EQ(images.dtype(), DataType::kFloat);
    EXPECT_EQ(images.shape(), (Shape{count, 1, 28, 28}));
    EXPECT_EQ(labels.dtype(), DataType::kInt64);
    EXPECT_EQ(labels.shape(), (Shape{count}));
    const auto classes = LoadCard("cnn")["classes"];
    std::vector<int64_t> per_class(classes.size(), 0);
    for (int64_t i = 0; i < count; ++i) ++per_class.at(labels.data<int64_t>()[i]);
    for (size_t c = 0; c < classes.size(); ++c) {
      const fs::path folder = testing::SourcePath("examples/data/" + set + "/" + classes[c].get<std::string>());
      ASSERT_TRUE(fs::is_directory(folder)) << folder;
      int64_t pngs = std::distance(fs::directory_iterator(folder), fs::directory_iterator{});
      EXPECT_EQ(pngs, per_class[c]) << folder;
    }
  }
}

class ExampleModels : public ::testing::TestWithParam<std::string> {};

TEST_P(ExampleModels, FloatRuntimeMatchesPyTorchOnEveryEvaluationImage) {
  const nlohmann::json card = LoadCard(GetParam());
  auto model = LoadModelFile(testing::SourcePath("examples/models/" + card["model"].get<std::string>()));
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto session = Session::Create(*model);
  ASSERT_TRUE(session.ok()) << session.status().message();
  Tensor images = LoadNpy("data/evaluation_images.npy");
  Tensor labels = LoadNpy("data/evaluation_labels.npy");
  Tensor torch_predictions = LoadNpy("models/" + GetParam() + ".torch_predictions.npy");

  constexpr int64_t kBatch = 100;
  const int64_t n = images.dim(0);
  int64_t correct = 0;
  std::vector<int64_t> differences;
  for (int64_t start = 0; start < n; start += kBatch) {
    const int64_t count = std::min(kBatch, n - start);
    Tensor batch = images.SliceRows(start, count);
    auto out = session->Run({{card["input"].get<std::string>(), batch}});
    ASSERT_TRUE(out.ok()) << out.status().message();
    const Tensor& logits = out->at(card["output"].get<std::string>());
    for (int64_t i = 0; i < count; ++i) {
      const float* row = logits.data<float>() + i * 10;
      const int64_t predicted = std::max_element(row, row + 10) - row;
      correct += predicted == labels.data<int64_t>()[start + i];
      if (predicted != torch_predictions.data<int64_t>()[start + i]) differences.push_back(start + i);
    }
  }
  EXPECT_TRUE(differences.empty()) << differences.size() << " images classified differently from PyTorch";
  EXPECT_DOUBLE_EQ(static_cast<double>(correct) / n, card["float_accuracy"].get<double>());
}

INSTANTIATE_TEST_SUITE_P(Bundled, ExampleModels, ::testing::Values("cnn", "transformer", "lstm"));

}  // namespace
}  // namespace qplay
