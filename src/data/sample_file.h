// A file of samples, chosen by its extension: .npy (samples), .npz (arrays of samples by name,
// and labels stored under a name such as "labels" or "y"), .csv (rows of features, and a label
// column).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/status.h"
#include "core/tensor.h"

namespace qplay {

struct SampleFile {
  std::map<std::string, Tensor> arrays;  // by name; "" names the one array of an .npy or a .csv
  std::optional<Tensor> labels;
};

// `name` is the file's name (or path): its extension picks the format, and errors start with it.
Result<SampleFile> ParseSampleFile(const uint8_t* data, size_t size, const std::string& name);

}  // namespace qplay
