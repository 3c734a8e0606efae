// Where a quantized model's error comes from, layer by layer, in one pass over the data: the
// float model (prepared as the quantizer prepares it, so tensor and node names match) and the
// quantized QDQ model (simulated in float, so every dequantized tensor exists) run side by
// side on each batch. Each activation the quantized model quantizes is compared with the
// float model's value of the same tensor, and each quantized weight with its float original
// (SQNR, cosine, MSE, largest error; for weights also both value histograms on the same bins,
// per-channel ranges and the clipped fraction). Both lists are ranked worst first (lowest SQNR). This
// answers what ONNX Runtime's qdq_loss_debug does, without a second model per tensor.
#pragma once
#include <string>
#include <vector>

#include "analysis/metrics.h"
#include "onnx/model.h"
#include "quant/calibrator.h"

namespace qplay {

// A weight's values, float and dequantized, on the same bins, with each output channel's
// float range and the fraction of values beyond what the quantized weight can represent.
struct WeightDistribution {
  float lo = 0, hi = 0;                          // the bins cover the float values' range
  std::vector<int64_t> float_counts, dequantized_counts;
  std::vector<std::pair<float, float>> channel_ranges;  // along axis 0 (output channels of Conv)
  double clipped_fraction = 0;     // further than half a step from their dequantized value
};

struct TensorError {
  std::string tensor;  // the float tensor's name
  std::string node;    // the node that produces it (activations) or reads it (weights)
  std::string op_type;
  ErrorMetrics error;
  WeightDistribution distribution;  // weights only
};

struct LayerErrorReport {
  int64_t samples = 0;
  std::vector<TensorError> activations, weights;  // worst first
  std::string ToJson() const;
};

// `data` feeds the model's single input, samples along the first dimension.
Result<LayerErrorReport> AnalyzeLayerError(const Model& float_model, const Model& quantized, const Tensor& data,
                                           int64_t batch_size = 50, const ProgressFn& progress = {});

}  // namespace qplay
