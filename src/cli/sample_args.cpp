#include "cli/sample_args.h"

#include <filesystem>

#include "data/byte_source.h"

namespace qplay {
namespace {

// Arrays are read as they are used, a run at a time (data/sample_file.h).
Result<SampleFile> OpenFile(const std::string& path) {
  auto bytes = FileBytes(path);
  if (!bytes.ok()) return bytes.status();
  return OpenSampleFile(std::move(*bytes));
}

// NAME=FILE names the input; a path that exists as given is a FILE even if it holds '='.
std::pair<std::string, std::string> SplitSpec(const std::string& spec) {
  const size_t eq = spec.find('=');
  std::error_code ignored;
  if (eq == std::string::npos || std::filesystem::exists(spec, ignored)) return {"", spec};
  return {spec.substr(0, eq), spec.substr(eq + 1)};
}

}  // namespace

Result<SampleFile> LoadSampleArgs(const std::vector<std::string>& specs, const std::string& flag, const std::string& labels_path) {
  std::vector<GivenSampleFile> given;
  for (const std::string& spec : specs) {
    auto [input, path] = SplitSpec(spec);
    if (path.empty()) return Fail(StatusCode::kInvalidArgument, flag, " ", spec, ": no file named after '='");
    auto file = OpenFile(path);
    if (!file.ok()) return file.status();
    given.push_back({input, std::move(*file), flag + " " + spec});
  }
  auto all = CombineSampleFiles(std::move(given));
  if (!all.ok()) return all.status();
  if (!labels_path.empty()) {
    auto labels = OpenFile(labels_path);
    if (!labels.ok()) return labels.status();
    if (labels->arrays.size() != 1) return Fail(StatusCode::kInvalidArgument, labels_path, ": labels come as one array");
    auto values = labels->arrays.begin()->second.All();
    if (!values.ok()) return values.status();
    all->labels = std::move(*values);
  }
  return all;
}

Result<Tensor> LoneArray(const SampleFile& file, const std::string& flag) {
  if (file.arrays.size() != 1) return Fail(StatusCode::kInvalidArgument, flag, " feeds one input; it was given ", file.arrays.size(), " arrays");
  return file.arrays.begin()->second.All();
}

}  // namespace qplay
