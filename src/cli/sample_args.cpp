#include "cli/sample_args.h"

#include <cstring>
#include <filesystem>

#include "onnx/model.h"

namespace qplay {
namespace {

Result<SampleFile> LoadSampleFile(const std::string& path) {
  auto bytes = ReadFileBytes(path);
  if (!bytes.ok()) return bytes.status();
  return ParseSampleFile(bytes->data(), bytes->size(), path);
}

// NAME=FILE names the input; a path that exists as given is a FILE even if it holds '='.
std::pair<std::string, std::string> SplitSpec(const std::string& spec) {
  const size_t eq = spec.find('=');
  std::error_code ignored;
  if (eq == std::string::npos || std::filesystem::exists(spec, ignored)) return {"", spec};
  return {spec.substr(0, eq), spec.substr(eq + 1)};
}

bool SameTensor(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

}  // namespace

Result<SampleFile> LoadSampleArgs(const std::vector<std::string>& specs, const std::string& flag, const std::string& labels_path) {
  SampleFile all;
  for (const std::string& spec : specs) {
    auto [input, path] = SplitSpec(spec);
    if (path.empty()) return Fail(StatusCode::kInvalidArgument, flag, " ", spec, ": no file named after '='");
    auto file = LoadSampleFile(path);
    if (!file.ok()) return file.status();
    if (file->labels && all.labels && !SameTensor(*file->labels, *all.labels))
      return Fail(StatusCode::kInvalidArgument, flag, " ", spec, ": its labels differ from those of an earlier file");
    if (file->labels) all.labels = std::move(file->labels);
    if (input.empty() && specs.size() == 1 && file->arrays.size() == 1) {  // feeds a single-input model, whatever its name
      all.arrays[""] = std::move(file->arrays.begin()->second);
      continue;
    }
    if (input.empty()) {
      for (auto& [name, array] : file->arrays)
        if (!all.arrays.emplace(name, std::move(array)).second)
          return Fail(StatusCode::kInvalidArgument, flag, " ", spec, ": array '", name, "' was given already");
      continue;
    }
    auto named = file->arrays.find(input);
    if (named == file->arrays.end() && file->arrays.size() == 1) named = file->arrays.begin();
    if (named == file->arrays.end())
      return Fail(StatusCode::kInvalidArgument, flag, " ", spec, ": the file holds ", file->arrays.size(), " arrays and none is named '",
                  input, "'");
    if (!all.arrays.emplace(input, std::move(named->second)).second)
      return Fail(StatusCode::kInvalidArgument, flag, " ", spec, ": input '", input, "' was given already");
  }
  if (!labels_path.empty()) {
    auto labels = LoadSampleFile(labels_path);
    if (!labels.ok()) return labels.status();
    if (labels->arrays.size() != 1) return Fail(StatusCode::kInvalidArgument, labels_path, ": labels come as one array");
    all.labels = std::move(labels->arrays.begin()->second);
  }
  return all;
}

Result<Tensor> LoneArray(const SampleFile& file, const std::string& flag) {
  if (file.arrays.size() != 1) return Fail(StatusCode::kInvalidArgument, flag, " feeds one input; it was given ", file.arrays.size(), " arrays");
  return file.arrays.begin()->second;
}

}  // namespace qplay
