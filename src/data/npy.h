// NumPy .npy (format 1.0/2.0/3.0, C order, little-endian) to and from Tensor.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "data/byte_source.h"
#include "data/sample_array.h"

namespace qplay {

// The array of the .npy in `bytes`, whose header is read now and whose data is read as asked.
Result<SampleArray> OpenNpy(ByteSourcePtr bytes);
// The array of the .npy in memory; `source` names the file in error messages.
Result<Tensor> ParseNpy(const uint8_t* data, size_t size, const std::string& source);
Result<std::vector<uint8_t>> EncodeNpy(const Tensor& tensor);

}  // namespace qplay
