// NumPy .npz archives (numpy.savez and savez_compressed): zip files of .npy arrays.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace qplay {

struct NamedArray {
  std::string name;  // the entry's name without ".npy", as numpy.load names it
  Tensor tensor;
};

// The archive's .npy entries in archive order (other entries are skipped). Stored and deflated
// entries are read, zip64 included; `source` names the file in error messages.
Result<std::vector<NamedArray>> ParseNpz(const uint8_t* data, size_t size, const std::string& source);

}  // namespace qplay
