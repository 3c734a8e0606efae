// Where a quantized model's error comes from, layer by layer, in one pass over the data: the
// float model (prepared as the quantizer prepares it, so tensor and node names match) and the
// quantized QDQ model (simulated in float, so every dequantized tensor exists) run side by
// side on each batch. Each activation the quantized model quantizes is compared with the
// float model's value of the same tensor, and each quantized weight with its float original
// (SQNR, cosine, MSE, largest error, both value histograms on the same bins and the clipped
// fraction; for weights also each channel's range, clipped fraction and SQNR). Both lists are ranked worst first (lowest SQNR). This
// answers what ONNX Runtime's qdq_loss_debug does, without a second model per tensor.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analysis/metrics.h"
#include "ir/model.h"
#include "quant/calibrator.h"

namespace qplay {

// A tensor's values, float and dequantized, on the same bins. Weights: the bins cover the
// float values' range, with each output channel's float range. Activations: the bins cover
// what the quantized tensor can represent ([clip_lo, clip_hi]) and a quarter more on each
// side; values beyond land in the outer bins. clipped_fraction: weights further than half a
// step from their dequantized value (rounding goes no further); activations beyond the clip
// range by more than half a step.
struct Distribution {
  float lo = 0, hi = 0;
  std::vector<int64_t> float_counts, dequantized_counts;
  std::optional<std::pair<float, float>> clip_range;           // activations
  double clipped_fraction = 0;
  // Weights, per output channel (along axis 0): float range, clipped fraction, SQNR (+inf when exact).
  std::vector<std::pair<float, float>> channel_ranges;
  std::vector<double> channel_clipped_fraction, channel_sqnr_db;
};

struct TensorError {
  std::string tensor;  // the float tensor's name
  std::string node;    // the node that produces it (activations) or reads it (weights)
  std::string op_type;
  ErrorMetrics error;
  Distribution distribution;
};

struct LayerErrorReport {
  int64_t samples = 0;
  std::vector<TensorError> activations, weights;  // worst first
  std::string ToJson() const;
};

// `data` feeds the model's inputs (runtime/sample_feeds.h).
Result<LayerErrorReport> AnalyzeLayerError(const Model& float_model, const Model& quantized, const SampleSet& data,
                                           int64_t batch_size = 50, const ProgressFn& progress = {});

}  // namespace qplay
