#include "quant/block_packing.h"

#include <algorithm>
#include <cmath>

namespace qplay {

namespace {

void PackCode(uint8_t* packed, int64_t j, int64_t bits, int32_t code) {
  const int64_t per_byte = 8 / bits;
  packed[j / per_byte] = static_cast<uint8_t>(packed[j / per_byte] | (code << (bits * (j % per_byte))));
}

}  // namespace

NBitsWeight PackBlocks(const Tensor& rows, int64_t block_size, int64_t bits, bool symmetric) {
  const int64_t n = rows.dim(0), k = rows.dim(1), blocks = (k + block_size - 1) / block_size;
  const int64_t zp_row_bytes = (blocks * bits + 7) / 8, levels = (int64_t{1} << bits) - 1, half = int64_t{1} << (bits - 1);
  NBitsWeight out{Tensor(DataType::kUint8, {n, blocks, block_size * bits / 8}), Tensor(DataType::kFloat, {n * blocks}),
                  symmetric ? Tensor() : Tensor(DataType::kUint8, {n * zp_row_bytes}), blocks};
  for (int64_t r = 0; r < n; ++r)
    for (int64_t b = 0; b < blocks; ++b) {
      const float* v = rows.data<float>() + r * k + b * block_size;
      const int64_t count = std::min(block_size, k - b * block_size);
      float lo = 0, hi = 0;
      for (int64_t j = 0; j < count; ++j) lo = std::min(lo, v[j]), hi = std::max(hi, v[j]);
      // Symmetric codes run -(half - 1)..half - 1 around the default zero point `half`.
      float scale = symmetric ? std::max(-lo, hi) / static_cast<float>(half - 1) : (hi - lo) / static_cast<float>(levels);
      if (!(scale > 0)) scale = 1;
      const float top = static_cast<float>(levels);
      const int32_t zp = symmetric ? static_cast<int32_t>(half) : static_cast<int32_t>(std::clamp(std::nearbyint(-lo / scale), 0.0f, top));
      out.scales.data<float>()[r * blocks + b] = scale;
      if (!symmetric) PackCode(out.zero_points.data<uint8_t>() + r * zp_row_bytes, b, bits, zp);
      uint8_t* codes = out.codes.data<uint8_t>() + (r * blocks + b) * (block_size * bits / 8);
      for (int64_t j = 0; j < block_size; ++j)
        PackCode(codes, j, bits, j < count ? static_cast<int32_t>(std::clamp(std::nearbyint(v[j] / scale) + static_cast<float>(zp), 0.0f, top)) : zp);
    }
  return out;
}

}  // namespace qplay
