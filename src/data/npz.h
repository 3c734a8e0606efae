// NumPy .npz archives (numpy.savez and savez_compressed): zip files of .npy arrays.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "data/byte_source.h"
#include "data/sample_array.h"

namespace qplay {

struct NamedArray {
  std::string name;  // the entry's name without ".npy", as numpy.load names it
  Tensor tensor;
};

struct NamedSampleArray {
  std::string name;
  SampleArray array;
};

// The archive's .npy entries in archive order, their headers read now and their data as asked
// (deflated entries inflated as they are read). Each entry's CRC-32 is checked by a pass that
// reads it through.
Result<std::vector<NamedSampleArray>> OpenNpz(ByteSourcePtr archive);

// The archive's .npy entries in archive order, read now (other entries are skipped). Stored and deflated
// entries are read, zip64 included; `source` names the file in error messages.
Result<std::vector<NamedArray>> ParseNpz(const uint8_t* data, size_t size, const std::string& source);

}  // namespace qplay
