// Which nodes a config quantizes, known before any calibration: what the page's layer list
// marks. Static quantization is planned with placeholder ranges (the ranges change scales,
// never which nodes are quantized); dynamic and weight-only quantization need no samples.
#pragma once
#include <string>
#include <vector>

#include "core/status.h"
#include "ir/model.h"
#include "quant/config.h"

namespace qplay {

enum class LayerFate {
  kQuantized,  // runs on quantized inputs (or is fused into a node that does)
  kFloat,      // stays float: excluded, not supported by the backend, or nothing to quantize
  kFolded,     // removed by the preparation passes (BatchNormalization folded into Conv)
};

struct LayerPlan {
  std::string node, op_type;
  std::vector<std::string> outputs;
  LayerFate fate = LayerFate::kFloat;
  std::string unit;  // the op a decomposed pattern of nodes computes (LayerNormalization), or ""
};

// The model's nodes in order, each with its fate under `config`.
Result<std::vector<LayerPlan>> PlanLayers(const Model& model, const QuantizationConfig& config);

std::string LayerPlanToJson(const std::vector<LayerPlan>& plan);

}  // namespace qplay
