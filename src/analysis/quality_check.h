// After quantizing, where the quantized model strays from the float one: both run on a few
// calibration samples (the layer-error analysis), and each tensor that loses too much signal
// or clips gets a warning naming its node and the likely cause.
#pragma once
#include <vector>

#include "ir/model.h"
#include "quant/static_quantizer.h"

namespace qplay {

struct QualityOptions {
  double min_sqnr_db = 15;             // warn below this SQNR
  double max_clipped_fraction = 0.01;  // warn when more of an activation's values fall outside its quantized range
  int64_t samples = 32;                // calibration samples compared
};

// Warnings for `result`, a static QDQ quantization of `float_model` calibrated on `calibration`:
// - an activation below min_sqnr_db whose node's quantized inputs are all above it (where the
//   loss starts, not everything downstream), with the cause: a collapsed range, clipped
//   outliers, or a scale set by rare large values;
// - an activation clipping more than max_clipped_fraction of its values;
// - a weight below min_sqnr_db;
// - an int32 bias pinned at the limit.
// None when the model has no Q/DQ pairs to compare (QOperator) or several inputs.
std::vector<QuantizationNote> CheckQuantizationQuality(const Model& float_model, const QuantizationResult& result,
                                                      const SampleSet& calibration, const QualityOptions& options = {});

}  // namespace qplay
