// The hostile-input regression corpus (tests/hostile/, written by make_corpus.py): each model
// or sample file (.npy, .npz, .csv) gives exactly its error in expected.json (or, where the error is "", loads: a
// model that once trapped), from the loader or parser and from the CLI, which exits with that
// error instead of crashing. wasm-tests/wasm/hostile.test.mjs runs the same corpus
// in wasm beside an open model.
#include <gtest/gtest.h>

#include <filesystem>

#include <fstream>
#include <nlohmann/json.hpp>

#include "data/npy.h"
#include "data/sample_file.h"
#include "fuzz/fuzz_inputs.h"
#include "fuzz/quantize_case.h"
#include "model_builder.h"
#include "onnx/model.h"
#include "run_cli.h"
#include "runtime/session.h"
#include "test_paths.h"

namespace qplay {
namespace {

// expected.json: each file's error when loaded ("" where it loads); expected_run.json: each
// model's error when run ("" where it runs) on inputs made from its bytes as the fuzz harness
// makes them (tests/fuzz/fuzz_inputs.h).
std::vector<std::pair<std::string, std::string>> Corpus(const std::string& expectations) {
  std::ifstream file(testing::SourcePath("tests/hostile/" + expectations));
  const auto expected = nlohmann::json::parse(file);
  std::vector<std::pair<std::string, std::string>> cases;
  for (const auto& [name, message] : expected.items()) cases.emplace_back(name, message.get<std::string>());
  return cases;
}

class Hostile : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

bool IsSampleFile(const std::string& name) {
  for (const char* extension : {".npy", ".npz", ".csv"})
    if (name.size() > 4 && name.compare(name.size() - 4, 4, extension) == 0) return true;
  return false;
}

TEST_P(Hostile, LoaderNamesTheProblem) {
  const auto& [name, message] = GetParam();
  auto bytes = ReadFileBytes(testing::SourcePath("tests/hostile/" + name));
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  const Status status = IsSampleFile(name) ? ParseSampleFile(bytes->data(), bytes->size(), name).status()
                                           : LoadModel(bytes->data(), bytes->size(), name).status();
  EXPECT_EQ(status.message(), message);
}

TEST_P(Hostile, CliExitsWithTheErrorInsteadOfCrashing) {
  const auto& [name, message] = GetParam();
  const std::string path = testing::SourcePath("tests/hostile/" + name);
  const auto result = testing::RunCli(IsSampleFile(name) ? "eval " + testing::SourcePath("examples/models/cnn.onnx") + " --data " + path
                                                  : "info " + path);
  EXPECT_FALSE(result.signaled) << result.output;
  EXPECT_EQ(result.exit_code, message.empty() ? 0 : 1) << result.output;
  EXPECT_NE(result.output.find(message), std::string::npos) << result.output;
}

// Inputs the fuzz_quantize harness found (a recipe byte, then a model), replayed through the
// harness's own steps: under make test-asan, any undefined behaviour left fails here.
TEST(HostileQuantize, FoundInputsQuantizeOrFailWithoutCrashing) {
  int cases = 0;
  for (const auto& entry : std::filesystem::directory_iterator(testing::SourcePath("tests/hostile"))) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("fuzz_quantize_", 0) != 0) continue;
    auto bytes = ReadFileBytes(entry.path().string());
    ASSERT_TRUE(bytes.ok()) << bytes.status().message();
    fuzz::QuantizeCase(bytes->data(), bytes->size());
    ++cases;
  }
  EXPECT_GE(cases, 1);
}

TEST(HostileRuns, BatchNormalizationOfAnEmptyBatchGivesAnEmptyBatch) {
  testing::ModelBuilder b(17);
  b.Input("x", {0, 2, 2, 2}).Output("y");
  for (const char* name : {"scale", "bias", "mean", "var"}) b.Initializer(name, {2}, {1, 1});
  b.Node("BatchNormalization", {"x", "scale", "bias", "mean", "var"}, {"y"});
  const std::string bytes = b.Bytes();
  auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto session = Session::Create(*model);
  ASSERT_TRUE(session.ok()) << session.status().message();
  auto out = session->Run({{"x", Tensor(DataType::kFloat, {0, 2, 2, 2})}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->at("y").shape(), (Shape{0, 2, 2, 2}));
}

// Found by the fuzz smoke run: Clip before opset 11 turned its float default bounds (+-3.4e38)
// into int8, which is undefined; they saturate now.
TEST(HostileRuns, ClipOfInt8BeforeOpset11KeepsEveryValue) {
  testing::ModelBuilder b(10);
  b.Input("x", {3}, onnx::TensorProto::INT8).Output("y", {3}, onnx::TensorProto::INT8);
  b.Node("Clip", {"x"}, {"y"});
  const std::string bytes = b.Bytes();
  auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto session = Session::Create(*model);
  ASSERT_TRUE(session.ok()) << session.status().message();
  auto out = session->Run({{"x", Tensor::FromVector<int8_t>({3}, {-128, 0, 127})}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->at("y").ToInt64Vector(), (std::vector<int64_t>{-128, 0, 127}));
}

// A scale that broadcasts along an inner normalized dim is valid ONNX that the kernels do not
// index; it is refused by name rather than read cyclically. One repeated along leading dims runs.
TEST(HostileRuns, LayerNormalizationScalesBroadcastOnlyAlongLeadingDims) {
  for (const auto& [scale_shape, error] : {std::pair{Shape{3, 1}, std::string("node 'ln' (LayerNormalization): the scale [3, 1] repeats "
                                                                              "along an inner dim of [3, 6]")},
                                           std::pair{Shape{1, 6}, std::string()}}) {
    testing::ModelBuilder b(17);
    b.Input("x", {2, 3, 6}).Output("y");
    b.Initializer("s", scale_shape, std::vector<float>(static_cast<size_t>(NumElements(scale_shape)), 2.0f));
    testing::SetInt(b.Node("LayerNormalization", {"x", "s"}, {"y"}, "ln"), "axis", 1);
    const std::string bytes = b.Bytes();
    auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    ASSERT_TRUE(model.ok()) << model.status().message();
    auto out = Session::Create(*model)->Run({{"x", Tensor(DataType::kFloat, {2, 3, 6})}});
    EXPECT_EQ(out.status().message(), error);
  }
}

TEST(HostileRuns, TheLimitsAreSetByTheCaller) {
  const std::string model = testing::SourcePath("tests/hostile/expand_huge.onnx");
  const auto refused = testing::RunCli("run " + model + " --max-tensor-bytes 1048576");
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("would produce 4.4e+12 bytes (float32 [1048576, 1048576]); the limit is 1 MiB"), std::string::npos)
      << refused.output;
  const auto bad = testing::RunCli("run " + model + " --max-tensor-bytes 0.5");
  EXPECT_NE(bad.output.find("--max-tensor-bytes must be a whole number from 1 to 1099511627776, got 0.5"), std::string::npos)
      << bad.output;

  const auto loop = testing::RunCli("run " + testing::SourcePath("tests/hostile/loop_of_2_pow_62_iterations.onnx") +
                                    " --max-loop-iterations 10");
  EXPECT_NE(loop.output.find("node 'loop' (Loop): ran 10 iterations without ending (trip count 4611686018427387904)"),
            std::string::npos)
      << loop.output;

  SetMaxTensorBytes(1000);
  EXPECT_EQ(CheckTensorSize(DataType::kFloat, {251}, "x").message(), "x would produce 1e+03 bytes (float32 [251]); the limit is 1000 bytes");
  EXPECT_TRUE(CheckTensorSize(DataType::kFloat, {250}, "x").ok());
  SetMaxTensorBytes(kDefaultMaxTensorBytes);
}

std::string CaseName(const ::testing::TestParamInfo<std::pair<std::string, std::string>>& info) {
  return info.param.first.substr(0, info.param.first.find('.'));
}

INSTANTIATE_TEST_SUITE_P(Corpus, Hostile, ::testing::ValuesIn(Corpus("expected.json")), CaseName);

class HostileRun : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

// The model of a corpus file and the inputs the fuzz harness made from its bytes.
std::pair<Model, std::map<std::string, Tensor>> ModelAndInputs(const std::string& name) {
  auto bytes = ReadFileBytes(testing::SourcePath("tests/hostile/" + name));
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  auto model = LoadModel(bytes->data(), bytes->size(), name);
  EXPECT_TRUE(model.ok()) << model.status().message();
  auto inputs = fuzz::InputsFor(model->graph, bytes->data(), bytes->size());
  EXPECT_TRUE(inputs.has_value());
  return {std::move(model.value()), inputs.value_or(std::map<std::string, Tensor>{})};
}

TEST_P(HostileRun, SessionNamesTheProblem) {
  const auto& [name, message] = GetParam();
  auto [model, inputs] = ModelAndInputs(name);
  auto session = Session::Create(model);
  EXPECT_EQ((session.ok() ? session->Run(inputs).status() : session.status()).message(), message);
}

TEST_P(HostileRun, CliExitsWithTheErrorInsteadOfCrashing) {
  const auto& [name, message] = GetParam();
  const std::string out = ::testing::TempDir() + "hostile_run";
  std::string feeds;
  for (const auto& [input, tensor] : ModelAndInputs(name).second) {
    const std::string path = ::testing::TempDir() + "hostile_input_" + input + ".npy";
    auto npy = EncodeNpy(tensor);
    ASSERT_TRUE(npy.ok()) << npy.status().message();
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(npy->data()), static_cast<std::streamsize>(npy->size()));
    feeds += " --input " + input + "=" + path;
  }
  const auto result = testing::RunCli("run " + testing::SourcePath("tests/hostile/" + name) + feeds + " --output-dir " + out);
  EXPECT_FALSE(result.signaled) << result.output;
  EXPECT_EQ(result.exit_code, message.empty() ? 0 : 1) << result.output;
  EXPECT_NE(result.output.find(message), std::string::npos) << result.output;
}

INSTANTIATE_TEST_SUITE_P(Corpus, HostileRun, ::testing::ValuesIn(Corpus("expected_run.json")), CaseName);

}  // namespace
}  // namespace qplay
