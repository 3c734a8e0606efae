// Scale and zero point, computed exactly as ONNX Runtime's quantizer does (design.md):
//   the range always contains 0; symmetric ranges are [-absmax, absmax];
//   scale = (rmax - rmin) / (qmax - qmin) in double; a degenerate range gives scale 1, zp 0;
//   asymmetric zp = round_half_to_even(qmin - rmin / scale), clamped to [qmin, qmax];
//   symmetric zp = round_half_to_even((qmin + qmax) / 2).
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "core/status.h"

namespace qplay {

struct QuantRange {
  int32_t qmin = 0;
  int32_t qmax = 255;
};

// int8 -128..127 (symmetric -127..127, reduce_range -64..64); uint8 0..255 (symmetric 0..254,
// reduce_range 0..127); int16 / uint16 likewise without reduce_range.
Result<QuantRange> RangeFor(DataType type, bool symmetric, bool reduce_range);

struct QParams {
  float scale = 1.0f;
  int32_t zero_point = 0;
};

QParams ComputeQParams(float rmin, float rmax, QuantRange range, bool symmetric);

}  // namespace qplay
