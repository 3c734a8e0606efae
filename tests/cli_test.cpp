// The qplay CLI as a user runs it.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include <fstream>

#include "data/npy.h"
#include "test_data.h"
#include "model_builder.h"
#include "onnx/model.h"
#include "run_cli.h"
#include "test_paths.h"

namespace qplay {
namespace {

using testing::RunCli;

TEST(Cli, AFolderGivenAsAFileIsNamed) {
  const std::string folder = testing::SourcePath("tests/hostile");
  auto r = RunCli("info " + folder);
  EXPECT_FALSE(r.signaled);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "qplay: '" + folder + "' is a folder, not a file\n");
}

TEST(Cli, OpsListsEveryOpWithTheOpsetRangesOfItsDefinitions) {
  auto r = RunCli("ops");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.rfind("| Domain | Op | Opsets | Fast kernel |\n", 0), 0u) << r.output;
  EXPECT_NE(r.output.find("| ai.onnx | NonMaxSuppression | 10, 11+ |  |\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("| ai.onnx | ReduceSum | 1-12, 13+ |"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("| ai.onnx | Conv | 1+ | yes |"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("| com.microsoft | FusedMatMul | 1+ |"), std::string::npos) << r.output;
}

TEST(Cli, InfoJsonDescribesTheModel) {
  auto r = RunCli("info " + testing::SourcePath("tests/models/cnn_bn.onnx") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["inputs"][0]["name"], "input");
  EXPECT_EQ(j["inputs"][0]["shape"], nlohmann::json::parse(R"(["batch", 1, 28, 28])"));
  EXPECT_EQ(j["outputs"][0]["dtype"], "float32");
  EXPECT_EQ(j["op_histogram"]["Conv"], 3);
  EXPECT_EQ(j["op_histogram"]["BatchNormalization"], 3);
  EXPECT_EQ(j["parameter_count"], 386);  // elements of all initializers in the committed model
  EXPECT_TRUE(j["unsupported"].empty());
  EXPECT_EQ(j["memory"]["batch"], 1);
  EXPECT_GT(j["memory"]["arena_bytes"].get<int64_t>(), 0);
  EXPECT_LT(j["memory"]["arena_bytes"].get<int64_t>(), j["memory"]["tensor_bytes"].get<int64_t>());
}

TEST(Cli, RunWritesOutputsAsNpy) {
  const auto dir = std::filesystem::temp_directory_path() / "qplay_cli_run";
  std::filesystem::remove_all(dir);
  auto r = RunCli("run " + testing::SourcePath("tests/models/lstm.onnx") + " --input input=" +
                  testing::SourcePath("tests/models/lstm.input.npy") + " --output-dir " + dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("logits: float32 [2, 10]"), std::string::npos) << r.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "logits.npy"));
}

TEST(Cli, RunReportsBadInputByName) {
  auto r = RunCli("run " + testing::SourcePath("tests/models/lstm.onnx") + " --input wrong=" +
                  testing::SourcePath("tests/models/lstm.input.npy"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "qplay: missing input 'input' (float32 [batch, 1, 28, 28])\n");
}

TEST(Cli, RoundtripIsByteIdentical) {
  const auto out = std::filesystem::temp_directory_path() / "qplay_roundtrip.onnx";
  const std::string in = testing::SourcePath("tests/models/transformer_block.onnx");
  auto r = RunCli("roundtrip " + in + " -o " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(*ReadFileBytes(out.string()), *ReadFileBytes(in));
}

TEST(Cli, ConformanceJsonCounts) {
  auto r = RunCli("conformance " + testing::kTestData + "/node/test_relu " + testing::kTestData + "/node/test_tfidfvectorizer_tf_only_bigrams_skip0 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["passed"], 1);
  EXPECT_EQ(j["failed"], 0);
  EXPECT_EQ(j["unsupported"], 1);
}

TEST(Cli, QuantizeThenEvalCompare) {
  const auto out = std::filesystem::temp_directory_path() / "qplay_cli_cnn.qdq.onnx";
  const std::string model = testing::SourcePath("examples/models/cnn.onnx");
  auto q = RunCli("quantize " + model + " -o " + out.string() + " --calib " +
                  testing::SourcePath("examples/data/calibration_images.npy") + " --calib-limit 20 --per-channel --json");
  ASSERT_EQ(q.exit_code, 0) << q.output;
  auto qj = nlohmann::json::parse(q.output);
  EXPECT_EQ(qj["config"]["per_channel"], true);
  EXPECT_EQ(qj["passes"]["fold BatchNormalization"].size(), 4u);
  EXPECT_GT(qj["quantized_nodes"].size(), 5u);

  auto e = RunCli("eval " + model + " --data " + testing::SourcePath("examples/data/calibration_images.npy") + " --labels " +
                  testing::SourcePath("examples/data/calibration_labels.npy") + " --compare " + out.string() + " --json");
  ASSERT_EQ(e.exit_code, 0) << e.output;
  auto ej = nlohmann::json::parse(e.output);
  EXPECT_EQ(ej["samples"], 200);
  EXPECT_GT(ej["accuracy"].get<double>(), 0.85);
  EXPECT_GT(ej["compare"]["agreement"].get<double>(), 0.95);
  EXPECT_GT(ej["compare"]["outputs"]["logits"]["sqnr_db"].get<double>(), 20.0);
}

TEST(Cli, QuantizeErrorsAreNamed) {
  const std::string model = testing::SourcePath("examples/models/cnn.onnx");
  auto missing = RunCli("quantize " + model + " -o /tmp/x.onnx");
  EXPECT_EQ(missing.output, "qplay: quantize takes MODEL -o OUT --calib X.npy (or --mode dynamic / weight-only, without --calib)\n");
  auto method = RunCli("quantize " + model + " -o /tmp/x.onnx --calib " + testing::SourcePath("examples/data/calibration_images.npy") +
                       " --method kl");
  EXPECT_EQ(method.output, "qplay: unknown calibration method 'kl'; expected minmax, moving-average, percentile, entropy or mse\n");
}

TEST(Cli, QuantizeDynamicNeedsNoCalibrationData) {
  const auto out = std::filesystem::temp_directory_path() / "qplay_cli_dynamic.onnx";
  auto r = RunCli("quantize " + testing::SourcePath("examples/models/cnn.onnx") + " -o " + out.string() + " --mode dynamic --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["config"]["mode"], "dynamic");
  EXPECT_EQ(j["quantized_nodes"].size(), 5u);
  auto info = RunCli("info " + out.string() + " --json");
  ASSERT_EQ(info.exit_code, 0) << info.output;
  EXPECT_EQ(nlohmann::json::parse(info.output)["op_histogram"]["ConvInteger"], 4);
}

TEST(Cli, ModeNamesAnUnknownMode) {
  auto r = RunCli("quantize " + testing::SourcePath("examples/models/cnn.onnx") + " -o /tmp/x.onnx --mode dynamc");
  EXPECT_EQ(r.output, "qplay: --mode must be static, dynamic or weight-only, got 'dynamc'\n");
}

TEST(Cli, AnalyzeReportsEveryQuantizedTensorWorstFirst) {
  const auto out = std::filesystem::temp_directory_path() / "qplay_cli_analyze.qdq.onnx";
  const std::string model = testing::SourcePath("examples/models/cnn.onnx");
  const std::string data = testing::SourcePath("examples/data/calibration_images.npy");
  ASSERT_EQ(RunCli("quantize " + model + " -o " + out.string() + " --calib " + data + " --calib-limit 20").exit_code, 0);
  auto r = RunCli("analyze " + model + " " + out.string() + " --data " + data + " --labels " +
                  testing::SourcePath("examples/data/calibration_labels.npy") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["format"], "qplay-analysis");
  EXPECT_EQ(j["version"], 1);
  EXPECT_GT(j["evaluation"]["compare"]["accuracy"].get<double>(), 0.85);
  ASSERT_GT(j["layers"].size(), 10u);
  for (size_t i = 1; i < j["layers"].size(); ++i)
    EXPECT_LE(j["layers"][i - 1]["sqnr_db"].get<double>(), j["layers"][i]["sqnr_db"].get<double>());
  EXPECT_LT(j["size_bytes"]["quantized"].get<int64_t>(), j["size_bytes"]["float"].get<int64_t>() / 2);
  EXPECT_TRUE(j["profile"]["quantized"]["op_types"].contains("QLinearConv"));
  auto missing = RunCli("analyze " + model + " --data " + data);
  EXPECT_EQ(missing.output, "qplay: analyze takes FLOAT_MODEL QUANT_MODEL --data X.npy\n");
}

TEST(Cli, QuantizeFallsBackUntilTheAccuracyTarget) {
  const auto out = std::filesystem::temp_directory_path() / "qplay_cli_fallback.onnx";
  const std::string model = testing::SourcePath("examples/models/cnn.onnx");
  const std::string calib = " --calib " + testing::SourcePath("examples/data/calibration_images.npy") + " --calib-limit 20";
  const std::string eval = " --eval-data " + testing::SourcePath("examples/data/calibration_images.npy");
  auto r = RunCli("quantize " + model + " -o " + out.string() + calib + eval + " --min-agreement 99.5 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_TRUE(j["fallback"]["met"].get<bool>());
  EXPECT_GE(j["fallback"]["evaluation"]["compare"]["agreement"].get<double>(), 0.995);
  EXPECT_EQ(j["fallback"]["kept_as"], "float");
  ASSERT_GT(j["fallback"]["kept_nodes"].size(), 0u);
  EXPECT_EQ(j["fallback"]["kept_nodes"][0], j["sensitivity"]["nodes"][0]["node"]);
  EXPECT_TRUE(std::filesystem::exists(out));

  auto no_data = RunCli("quantize " + model + " -o " + out.string() + calib + " --max-accuracy-drop 1");
  EXPECT_EQ(no_data.output, "qplay: the fallback measures accuracy on --eval-data X.npy (with --eval-labels Y.npy, or agreement with float)\n");
  auto bad = RunCli("quantize " + model + " -o " + out.string() + calib + eval + " --max-accuracy-drop one");
  EXPECT_EQ(bad.output, "qplay: --max-accuracy-drop takes a number, got 'one'\n");
  auto keep = RunCli("quantize " + model + " -o " + out.string() + calib + eval + " --min-sqnr 30 --fallback int8");
  EXPECT_EQ(keep.output, "qplay: --fallback must be float or int16, got 'int8'\n");
}

TEST(Cli, BadModelFileGetsAClearError) {
  auto r = RunCli("info " + testing::SourcePath("tests/models/lstm.input.npy"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("is not an ONNX model"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace qplay

namespace qplay {
namespace {

// The first `count` rows of an example .npy, written to a temporary file.
std::string ExampleRows(const std::string& file, int64_t count) {
  const auto path = std::filesystem::temp_directory_path() / ("qplay_cli_" + std::to_string(count) + "_" + file);
  auto bytes = EncodeNpy(testing::LoadSourceNpy("examples/data/" + file, count));
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
  return path.string();
}

TEST(Cli, QatPrintsEachEpochAndWritesAQdqModel) {
  const auto out = std::filesystem::temp_directory_path() / "qplay_cli_qat.onnx";
  auto r = RunCli("qat " + testing::SourcePath("examples/models/cnn.onnx") + " -o " + out.string() + " --train-data " +
                  ExampleRows("calibration_images.npy", 16) + " --train-labels " + ExampleRows("calibration_labels.npy", 16) +
                  " --eval-data " + ExampleRows("evaluation_images.npy", 16) + " --eval-labels " + ExampleRows("evaluation_labels.npy", 16) +
                  " --epochs 2 --batch-size 8 --optimizer adam --lr 1e-5 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  ASSERT_EQ(j["epochs"].size(), 2u);
  EXPECT_TRUE(j["epochs"][1].contains("loss") && j["epochs"][1].contains("accuracy"));
  auto model = LoadModelFile(out.string());
  ASSERT_TRUE(model.ok()) << model.status().message();
  int quantize_nodes = 0;
  for (const Node& n : model->graph.nodes) quantize_nodes += n.op_type == "QuantizeLinear";
  EXPECT_GT(quantize_nodes, 3);
  auto missing = RunCli("qat " + testing::SourcePath("examples/models/cnn.onnx") + " -o " + out.string());
  EXPECT_EQ(missing.output, "qplay: qat takes MODEL -o OUT --train-data X.npy --train-labels Y.npy\n");
}

}  // namespace
}  // namespace qplay

namespace qplay {
namespace {

// y = (a + b) W: a model with two inputs, saved to a temporary file. With `state`, b is a
// fixed [1, 4] input (a state fed to every run); with `batch`, a's first dimension is fixed.
std::string TwoInputModel(const std::string& name, std::vector<int64_t> b_dims = {-1, 4}, int64_t batch = -1) {
  testing::ModelBuilder builder;
  builder.Input("a", {batch, 4}).Input("b", b_dims).Output("y");
  std::vector<float> w(12);
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.1f * static_cast<float>(i) - 0.5f;
  builder.Initializer("w", {4, 3}, w);
  builder.Node("Add", {"a", "b"}, {"sum"});
  builder.Node("MatMul", {"sum", "w"}, {"y"});
  const auto path = std::filesystem::temp_directory_path() / ("qplay_cli_" + name + ".onnx");
  std::ofstream(path, std::ios::binary) << builder.Bytes();
  return path.string();
}

std::string WriteNpy(const std::string& name, const Tensor& t) {
  const auto path = std::filesystem::temp_directory_path() / ("qplay_cli_" + name + ".npy");
  auto bytes = EncodeNpy(t);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
  return path.string();
}

TEST(Cli, EveryCommandFeedsEveryInputOfATwoInputModel) {
  const std::string model = TwoInputModel("two_inputs");
  const std::string quantized = (std::filesystem::temp_directory_path() / "qplay_cli_two_inputs.int8.onnx").string();
  const std::string archive = testing::SourcePath("tests/data/two_inputs.npz");
  auto q = RunCli("quantize " + model + " -o " + quantized + " --calib " + archive + " --per-channel");
  ASSERT_EQ(q.exit_code, 0) << q.output;
  EXPECT_NE(q.output.find("quantized 2 nodes"), std::string::npos) << q.output;  // the Add and the MatMul

  // Each input from its own file (here the archive's array of that name); labels from the file.
  const std::string by_name = " --data a=" + archive + " --data b=" + archive;
  auto eval = RunCli("eval " + model + " --compare " + quantized + by_name + " --json");
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  auto report = nlohmann::json::parse(eval.output);
  EXPECT_EQ(report["samples"], 20);
  EXPECT_TRUE(report.contains("accuracy"));
  EXPECT_GT(report["compare"]["outputs"]["y"]["sqnr_db"].get<double>(), 25);

  for (const std::string command : {"analyze " + model + " " + quantized + by_name, "profile " + model + by_name,
                                    "sensitivity " + model + " --calib " + archive + by_name}) {
    auto r = RunCli(command);
    EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.output;
  }

  auto unnamed = RunCli("quantize " + model + " -o " + quantized + " --calib " +
                        WriteNpy("a_only", Tensor(DataType::kFloat, {20, 4})));
  EXPECT_EQ(unnamed.output, "qplay: calibration: an unnamed array, but the model has 2 inputs ('a', 'b'): name each array by the input it feeds\n");
  EXPECT_EQ(RunCli("eval " + model + " --data a=").output, "qplay: --data a=: no file named after '='\n");
}

TEST(Cli, StateInputsAndFixedBatchesAreFedPerRun) {
  const std::string archive = testing::SourcePath("tests/data/two_inputs.npz");
  Tensor state = Tensor::FromVector<float>({1, 4}, {0.5f, -1, 2, 0});
  const std::string with_state = TwoInputModel("with_state", {1, 4});
  auto r = RunCli("eval " + with_state + " --compare " + with_state + " --data a=" + archive + " --data b=" + WriteNpy("state", state) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output)["samples"], 20);

  const std::string batch_of_one = TwoInputModel("batch_of_one", {1, 4}, 1);
  r = RunCli("eval " + batch_of_one + " --data a=" + archive + " --data b=" + archive + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output)["samples"], 20);
}

}  // namespace
}  // namespace qplay
