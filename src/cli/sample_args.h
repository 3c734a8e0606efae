// Sample files named on the command line: `--calib FILE` (an .npy or .csv for a model's only
// input, an .npz whose arrays are named by input, or holding one array for a model's only
// input) or `--calib NAME=FILE`, repeatable, one per input. The same for --data, --eval-data
// and --train-data.
#pragma once
#include <string>
#include <vector>

#include "core/status.h"
#include "data/sample_file.h"

namespace qplay {

// The arrays of every file in `specs` (the values given to `flag`), and labels: from
// `labels_path` when it is not empty, else those a file holds, if any.
Result<SampleFile> LoadSampleArgs(const std::vector<std::string>& specs, const std::string& flag, const std::string& labels_path);

// The one array of `file`, for commands that feed a single input (qat).
Result<Tensor> LoneArray(const SampleFile& file, const std::string& flag);

}  // namespace qplay
