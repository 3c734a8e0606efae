// The one entry point front ends call: static or dynamic quantization, as the config's mode says.
#pragma once
#include "quant/dynamic_quantizer.h"
#include "quant/static_quantizer.h"

namespace qplay {

// `calibration` and `progress` serve static quantization; dynamic quantization needs neither.
inline Result<QuantizationResult> Quantize(const Model& model, const QuantizationConfig& config, const SampleSet& calibration,
                                           const ProgressFn& progress = {}) {
  if (config.mode == QuantMode::kDynamic) return QuantizeDynamic(model, config);
  return QuantizeStatic(model, config, calibration, progress);
}

}  // namespace qplay
