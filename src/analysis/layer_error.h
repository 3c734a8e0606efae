// Where a quantized model's error comes from, layer by layer, in one pass over the data: the
// float model (prepared as the quantizer prepares it, so tensor and node names match) and the
// quantized QDQ model (simulated in float, so every dequantized tensor exists) run side by
// side on each batch. Each activation the quantized model quantizes is compared with the
// float model's value of the same tensor, and each quantized weight with its float original
// (SQNR, cosine, MSE, largest error). Both lists are ranked worst first (lowest SQNR). This
// answers what ONNX Runtime's qdq_loss_debug does, without a second model per tensor.
#pragma once
#include <string>
#include <vector>

#include "analysis/metrics.h"
#include "onnx/model.h"
#include "quant/calibrator.h"

namespace qplay {

struct TensorError {
  std::string tensor;  // the float tensor's name
  std::string node;    // the node that produces it (activations) or reads it (weights)
  std::string op_type;
  ErrorMetrics error;
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
