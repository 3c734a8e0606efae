#include "data/sample_file.h"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "data/csv.h"
#include "data/npy.h"
#include "data/npz.h"

namespace qplay {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "labels", "y", "train_target"...: a name that is, or ends in _, one of NumPy users' label names.
bool IsLabelName(const std::string& name) {
  const std::string lower = Lower(name);
  for (std::string_view label : {"label", "labels", "y", "target", "targets"})
    if (lower == label || EndsWith(lower, "_" + std::string(label))) return true;
  return false;
}

// The first array with a label's name holds the labels; every other array holds samples.
Result<SampleFile> FromArchive(std::vector<NamedArray> arrays, const std::string& name) {
  SampleFile file;
  std::string labels_name;
  for (NamedArray& array : arrays) {
    if (IsLabelName(array.name) && !file.labels) {
      file.labels = std::move(array.tensor);
      labels_name = array.name;
    } else {
      file.arrays[array.name] = std::move(array.tensor);
    }
  }
  if (file.arrays.empty()) return Fail(StatusCode::kInvalidArgument, name, ": the archive holds only labels (", labels_name, ")");
  return file;
}

}  // namespace

Result<SampleFile> ParseSampleFile(const uint8_t* data, size_t size, const std::string& name) {
  const std::string lower = Lower(name);
  if (EndsWith(lower, ".npy")) {
    auto tensor = ParseNpy(data, size, name);
    if (!tensor.ok()) return tensor.status();
    return SampleFile{{{"", std::move(*tensor)}}, std::nullopt};
  }
  if (EndsWith(lower, ".npz")) {
    auto arrays = ParseNpz(data, size, name);
    if (!arrays.ok()) return arrays.status();
    return FromArchive(std::move(*arrays), name);
  }
  if (EndsWith(lower, ".csv")) {
    auto table = ParseCsv(std::string_view(reinterpret_cast<const char*>(data), size), name);
    if (!table.ok()) return table.status();
    return SampleFile{{{"", std::move(table->features)}}, std::move(table->labels)};
  }
  return Fail(StatusCode::kInvalidArgument, name, ": samples are read from .npy, .npz or .csv files");
}

}  // namespace qplay
