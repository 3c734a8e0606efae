// Quantization-aware training (the seeds' QATQuantizer): the model as the static quantizer
// prepares it (BatchNorm folded with its statistics frozen), fake quantization exactly where
// the quantizer puts Q/DQ — activations with their calibrated parameters (observed for a
// configurable number of steps, then frozen), weights per tensor or per channel from their
// current range at every step — trained on labelled samples with
// softmax cross-entropy and the straight-through estimator; then quantized again with the
// trained weights and the calibrated activation ranges, in the static quantizer's format.
//
//   QatOptions options;  options.epochs = 3;  options.learning_rate = 1e-3;
//   auto result = QuantizationAwareTraining(model, config, images, labels, &eval_x, &eval_y, options, on_epoch);
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/status.h"
#include "quant/qparams.h"
#include "quant/static_quantizer.h"

namespace qplay {

struct QatOptions {
  int64_t epochs = 3;
  double learning_rate = 1e-3;
  std::string optimizer = "sgd";  // sgd (with momentum) or adam
  double momentum = 0.9;
  double weight_decay = 0;
  int64_t batch_size = 32;
  bool cosine_schedule = false;   // else constant
  uint32_t seed = 0;              // sample order
  bool lsq = false;               // learn each activation's scale (LSQ; zero points stay calibrated)
  // Steps (batches) during which the activation observers keep moving their ranges toward each
  // batch's (PyTorch's moving-average min/max, averaging constant 0.01) before they freeze;
  // 0 keeps the calibrated ranges throughout. Weights are observed at every step.
  int64_t observer_steps = 0;
};

struct EpochReport {
  int64_t epoch = 0;              // 1-based
  double loss = 0;                // mean over the epoch's batches
  std::optional<double> accuracy; // of the fake-quantized model on the evaluation samples
};

namespace train {
class TrainingGraph;
}  // namespace train

// Training one epoch at a time (a page runs it between messages): keeps the weights of the
// best epoch so far — highest accuracy on the evaluation samples, or lowest loss without them.
class QatSession {
 public:
  static Result<std::unique_ptr<QatSession>> Start(const Model& model, const QuantizationConfig& config, const Tensor& train_data,
                                                   const Tensor& train_labels, const Tensor* eval_data, const Tensor* eval_labels,
                                                   const QatOptions& options);
  ~QatSession();
  Result<EpochReport> RunEpoch();
  int64_t epochs_done() const { return epoch_; }
  const EpochReport& best() const { return best_; }
  // The model quantized with the best epoch's weights (the initial ones before any epoch).
  Result<QuantizationResult> Finish() const;

 private:
  QatSession() = default;
  Model prepared_;
  QuantizationConfig config_;
  QuantizationResult calibrated_;
  std::unique_ptr<train::TrainingGraph> graph_;
  Tensor train_x_, train_y_;
  std::optional<Tensor> eval_x_, eval_y_;
  QatOptions options_;
  std::map<std::string, Tensor> best_weights_;  // and learned scales ("lsq:" + activation)
  std::map<std::string, FloatRange> best_ranges_;  // the activations' observed ranges then
  QuantRange activation_range_;
  EpochReport best_;
  int64_t epoch_ = 0, step_ = 0;
  std::vector<int64_t> order_;
  std::mt19937 random_;
};

// Trains `options.epochs` epochs; `on_epoch` may return false to stop after that epoch. The
// result is quantized with the best epoch's weights.
Result<QuantizationResult> QuantizationAwareTraining(const Model& model, const QuantizationConfig& config, const Tensor& train_data,
                                                     const Tensor& train_labels, const Tensor* eval_data, const Tensor* eval_labels,
                                                     const QatOptions& options,
                                                     const std::function<bool(const EpochReport&)>& on_epoch = {});

}  // namespace qplay
