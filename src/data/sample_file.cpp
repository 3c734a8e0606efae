#include "data/sample_file.h"

#include <algorithm>
#include <cctype>
#include <cstring>
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
Result<SampleFile> FromArchive(std::vector<NamedSampleArray> arrays, const std::string& name) {
  SampleFile file;
  std::string labels_name;
  for (NamedSampleArray& array : arrays) {
    if (IsLabelName(array.name) && !file.labels) {
      auto labels = array.array.All();
      if (!labels.ok()) return labels.status();
      file.labels = std::move(*labels);
      labels_name = array.name;
    } else {
      file.arrays[array.name] = std::move(array.array);
    }
  }
  if (file.arrays.empty()) return Fail(StatusCode::kInvalidArgument, name, ": the archive holds only labels (", labels_name, ")");
  return file;
}

Result<SampleFile> FromCsv(std::string_view text, const std::string& name) {
  auto table = ParseCsv(text, name);
  if (!table.ok()) return table.status();
  return SampleFile{{{"", std::move(table->features)}}, std::move(table->labels)};
}

Status UnknownFormat(const std::string& name) {
  return Fail(StatusCode::kInvalidArgument, name, ": samples are read from .npy, .npz or .csv files");
}

bool SameTensor(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

}  // namespace

Result<SampleFile> OpenSampleFile(ByteSourcePtr bytes) {
  const std::string name = bytes->name();
  const std::string lower = Lower(name);
  if (EndsWith(lower, ".npy")) {
    auto array = OpenNpy(std::move(bytes));
    if (!array.ok()) return array.status();
    return SampleFile{{{"", std::move(*array)}}, std::nullopt};
  }
  if (EndsWith(lower, ".npz")) {
    auto arrays = OpenNpz(std::move(bytes));
    if (!arrays.ok()) return arrays.status();
    return FromArchive(std::move(*arrays), name);
  }
  if (EndsWith(lower, ".csv")) {
    auto text = ReadAll(*bytes);
    if (!text.ok()) return text.status();
    return FromCsv(std::string_view(reinterpret_cast<const char*>(text->data()), text->size()), name);
  }
  return UnknownFormat(name);
}

Result<SampleFile> CombineSampleFiles(std::vector<GivenSampleFile> given) {
  SampleFile all;
  for (auto& [input, file, what] : given) {
    if (file.labels && all.labels && !SameTensor(*file.labels, *all.labels))
      return Fail(StatusCode::kInvalidArgument, what, ": its labels differ from those of an earlier file");
    if (file.labels) all.labels = std::move(file.labels);
    if (input.empty() && given.size() == 1 && file.arrays.size() == 1) {  // feeds a single-input model, whatever its name
      all.arrays[""] = std::move(file.arrays.begin()->second);
      continue;
    }
    if (input.empty()) {
      for (auto& [name, array] : file.arrays)
        if (!all.arrays.emplace(name, std::move(array)).second)
          return Fail(StatusCode::kInvalidArgument, what, ": array '", name, "' was given already");
      continue;
    }
    auto named = file.arrays.find(input);
    if (named == file.arrays.end() && file.arrays.size() == 1) named = file.arrays.begin();
    if (named == file.arrays.end())
      return Fail(StatusCode::kInvalidArgument, what, ": the file holds ", file.arrays.size(), " arrays and none is named '", input, "'");
    if (!all.arrays.emplace(input, std::move(named->second)).second)
      return Fail(StatusCode::kInvalidArgument, what, ": input '", input, "' was given already");
  }
  return all;
}

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
    std::vector<NamedSampleArray> in_memory;
    for (NamedArray& array : *arrays) in_memory.push_back({std::move(array.name), std::move(array.tensor)});
    return FromArchive(std::move(in_memory), name);
  }
  if (EndsWith(lower, ".csv")) return FromCsv(std::string_view(reinterpret_cast<const char*>(data), size), name);
  return UnknownFormat(name);
}

}  // namespace qplay
