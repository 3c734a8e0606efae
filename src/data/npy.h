// NumPy .npy (format 1.0/2.0/3.0, C order, little-endian) to and from Tensor.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace qplay {

// `source` names the file in error messages.
Result<Tensor> ParseNpy(const uint8_t* data, size_t size, const std::string& source);
Result<std::vector<uint8_t>> EncodeNpy(const Tensor& tensor);

}  // namespace qplay
