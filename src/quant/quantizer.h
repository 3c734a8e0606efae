// The one entry point front ends call: static, dynamic or weight-only quantization, as the
// config's mode says.
#pragma once
#include "quant/dynamic_quantizer.h"
#include "quant/static_quantizer.h"
#include "quant/weight_only_quantizer.h"

namespace qplay {

// `calibration` and `progress` serve static quantization; the other modes need neither.
inline Result<QuantizationResult> Quantize(const Model& model, const QuantizationConfig& config, const SampleSet& calibration,
                                           const ProgressFn& progress = {}) {
  if (config.mode == QuantMode::kDynamic) return QuantizeDynamic(model, config);
  if (config.mode == QuantMode::kWeightOnly) return QuantizeWeightOnly(model, config);
  return QuantizeStatic(model, config, calibration, progress);
}

}  // namespace qplay
