// Weights stored in blocks of `bits`-wide integers along each row, as ONNX Runtime's
// MatMulNBits and GatherBlockQuantized read them: one scale per block, values packed low bits
// first; symmetric blocks use codes around the default zero point 2^(bits-1) (-7..7 around 8,
// -127..127 around 128), asymmetric blocks store their zero points, packed like the codes.
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace qplay {

struct NBitsWeight {
  Tensor codes;        // uint8 [rows, blocks, block_size * bits / 8]: the last block padded with zero points
  Tensor scales;       // float [rows * blocks]
  Tensor zero_points;  // uint8 [rows * ceil(blocks * bits / 8)]; empty when symmetric
  int64_t blocks = 0;
};

// The rows of float `rows` ([rows, width]) in blocks of `block_size`.
NBitsWeight PackBlocks(const Tensor& rows, int64_t block_size, int64_t bits, bool symmetric);

}  // namespace qplay
