// A file of samples, chosen by its extension: .npy (samples), .npz (arrays of samples by name,
// and labels stored under a name such as "labels" or "y"), .csv (rows of features, and a label
// column).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "data/byte_source.h"
#include "data/sample_array.h"

namespace qplay {

struct SampleFile {
  std::map<std::string, SampleArray> arrays;  // by name; "" names the one array of an .npy or a .csv
  std::optional<Tensor> labels;
};

// The file in `bytes`, whose name (or path) picks the format and starts its errors. The arrays
// of .npy and .npz files are read as they are used, a few samples at a time; labels and .csv
// tables are read now.
Result<SampleFile> OpenSampleFile(ByteSourcePtr bytes);

// The same for a file in memory, read now.
Result<SampleFile> ParseSampleFile(const uint8_t* data, size_t size, const std::string& name);

// A file given for a data set: for the input named `input`, or, with "", for the inputs its
// arrays are named after (or a model's only input, when it is the only file and holds one
// array). `what` starts its errors ("--calib ids=ids.npy").
struct GivenSampleFile {
  std::string input;
  SampleFile file;
  std::string what;
};

// The arrays of all `given` files by the input they feed, and the labels they hold (which
// must agree). Fails naming the file that gives an input twice or lacks the array asked for.
Result<SampleFile> CombineSampleFiles(std::vector<GivenSampleFile> given);

}  // namespace qplay
