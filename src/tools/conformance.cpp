#include "tools/conformance.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "onnx/model.h"
#include "runtime/session.h"

namespace fs = std::filesystem;

namespace qplay {
namespace {

std::vector<fs::path> FindTests(const fs::path& root) {
  std::vector<fs::path> tests;
  if (fs::exists(root / "model.onnx")) return {root};
  if (!fs::is_directory(root)) return tests;
  for (const auto& entry : fs::recursive_directory_iterator(root))
    if (entry.is_regular_file() && entry.path().filename() == "model.onnx") tests.push_back(entry.path().parent_path());
  std::sort(tests.begin(), tests.end());
  return tests;
}

std::vector<fs::path> SortedFiles(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().filename().string().rfind(prefix, 0) == 0) files.push_back(entry.path());
  // input_10.pb sorts after input_9.pb
  std::sort(files.begin(), files.end(), [&](const fs::path& a, const fs::path& b) {
    auto index = [&](const fs::path& p) { return std::stoi(p.stem().string().substr(prefix.size())); };
    return index(a) < index(b);
  });
  return files;
}

Result<Tensor> LoadTensorFile(const fs::path& path) {
  auto bytes = ReadFileBytes(path.string());
  if (!bytes.ok()) return bytes.status();
  auto parsed = ParseTensorProto(bytes->data(), bytes->size(), path.filename().string());
  if (!parsed.ok()) return parsed.status();
  return parsed->tensor;
}

// Empty string when `got` matches `expected` within tolerance, else what differs.
std::string Compare(const std::string& name, const Tensor& expected, const Tensor& got, Tolerance tol) {
  std::ostringstream why;
  if (expected.dtype() != got.dtype() || expected.shape() != got.shape()) {
    why << "output '" << name << "': expected " << DataTypeName(expected.dtype()) << " " << ShapeToString(expected.shape())
        << ", got " << DataTypeName(got.dtype()) << " " << ShapeToString(got.shape());
    return why.str();
  }
  const bool exact = expected.dtype() != DataType::kFloat && expected.dtype() != DataType::kDouble;
  for (int64_t i = 0; i < expected.size(); ++i) {
    const double e = expected.GetAsDouble(i), g = got.GetAsDouble(i);
    if (std::isnan(e) && std::isnan(g)) continue;
    if (e == g) continue;
    if (!exact && std::abs(e - g) <= tol.atol + tol.rtol * std::abs(e)) continue;
    why << "output '" << name << "' element " << i << ": expected " << e << ", got " << g;
    return why.str();
  }
  return "";
}

ConformanceCase RunOne(const fs::path& dir, const std::string& name, Tolerance tol) {
  auto unsupported = [&](const std::string& why) { return ConformanceCase{name, "unsupported", why}; };
  // qplay computes a half-precision model in float32, so tests of half-precision rounding (and
  // ONNX 1.12's bfloat16 data, stored as uint16) do not apply to it.
  std::string upcast_from;
  auto failed = [&](const std::string& why) {
    if (!upcast_from.empty())
      return unsupported("the model is in " + upcast_from + ", which qplay computes in float32: " + why);
    return ConformanceCase{name, "failed", why};
  };
  auto model = LoadModelFile((dir / "model.onnx").string());
  if (!model.ok())
    return model.status().code() == StatusCode::kUnsupported ? unsupported(model.status().message())
                                                              : failed(model.status().message());
  upcast_from = model->upcast_from;
  for (const auto* names : {&model->graph.inputs, &model->graph.outputs})
    for (const auto& value : *names) {
      const ValueType* type = model->graph.TypeOf(value);
      if (type && !type->is_tensor) return unsupported("value '" + value + "' is a sequence, map or optional, not a tensor");
      if (type && !IsSupportedDataType(type->dtype))
        return unsupported("value '" + value + "' has element type " + DataTypeName(type->dtype));
    }
  auto session = Session::Create(*model);
  if (!session.ok()) return unsupported(session.status().message());

  int data_sets = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_directory() || entry.path().filename().string().rfind("test_data_set_", 0) != 0) continue;
    ++data_sets;
    TensorMap inputs;
    auto input_files = SortedFiles(entry.path(), "input_");
    for (size_t i = 0; i < input_files.size() && i < model->graph.inputs.size(); ++i) {
      auto tensor = LoadTensorFile(input_files[i]);
      if (!tensor.ok()) return unsupported(tensor.status().message());
      inputs[model->graph.inputs[i]] = tensor.value();
    }
    auto outputs = session->Run(inputs);
    if (!outputs.ok())
      return outputs.status().code() == StatusCode::kUnsupported ? unsupported(outputs.status().message())
                                                                 : failed(outputs.status().message());
    auto output_files = SortedFiles(entry.path(), "output_");
    for (size_t i = 0; i < output_files.size() && i < model->graph.outputs.size(); ++i) {
      auto expected = LoadTensorFile(output_files[i]);
      if (!expected.ok()) return unsupported(expected.status().message());
      const std::string& out_name = model->graph.outputs[i];
      std::string diff = Compare(out_name, expected.value(), outputs->at(out_name), tol);
      if (!diff.empty()) return failed(entry.path().filename().string() + ": " + diff);
    }
  }
  if (data_sets == 0) return unsupported("no test_data_set_* folder");
  return {name, "passed", ""};
}

}  // namespace

std::string ConformanceReport::ToJson() const {
  nlohmann::json j = {{"passed", passed}, {"failed", failed}, {"unsupported", unsupported}};
  auto list = [&](const std::string& outcome) {
    auto arr = nlohmann::json::array();
    for (const auto& c : cases)
      if (c.outcome == outcome) arr.push_back({{"test", c.name}, {"detail", c.detail}});
    return arr;
  };
  j["failures"] = list("failed");
  j["unsupported_tests"] = list("unsupported");
  return j.dump(2);
}

ConformanceReport RunConformance(const std::vector<std::string>& roots, Tolerance tolerance) {
  ConformanceReport report;
  for (const auto& root : roots)
    for (const auto& dir : FindTests(root)) {
      std::string name = fs::relative(dir, fs::path(root).parent_path()).string();
      ConformanceCase c = RunOne(dir, name, tolerance);
      (c.outcome == "passed" ? report.passed : c.outcome == "failed" ? report.failed : report.unsupported)++;
      report.cases.push_back(std::move(c));
    }
  return report;
}

}  // namespace qplay
