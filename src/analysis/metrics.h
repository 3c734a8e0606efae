// QuantizationMetrics: how far a quantized model's outputs are from the float model's.
// Defined once here; the CLI and the page only display them.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace qplay {

// Element-wise comparison of a reference tensor (float model) with a test tensor.
struct ErrorMetrics {
  double sqnr_db = 0;  // 10 log10(signal power / noise power); +inf when identical
  double cosine = 0;   // cosine similarity; 1 when identical
  double mse = 0;
  double max_abs = 0;
  int64_t count = 0;
};

// Accumulates ErrorMetrics over batches without keeping them.
class ErrorAccumulator {
 public:
  // Fails when shapes or types differ (float32 only).
  Status Add(const Tensor& reference, const Tensor& test);
  ErrorMetrics Result() const;

 private:
  double signal_ = 0, noise_ = 0, dot_ = 0, ref_norm_ = 0, test_norm_ = 0, max_abs_ = 0;
  int64_t count_ = 0;
};

// Top-1 classification over logits [N, classes]: accuracy against labels, and agreement
// between two models' predictions.
// A sample the two models classify differently (index in the order samples were added).
struct Disagreement {
  int64_t sample, reference, test;
};

struct ClassificationMetrics {
  int64_t samples = 0;
  int64_t reference_correct = 0;
  int64_t test_correct = 0;
  int64_t agreeing = 0;
  std::vector<Disagreement> disagreements;
  double reference_accuracy() const { return samples ? static_cast<double>(reference_correct) / samples : 0; }
  double test_accuracy() const { return samples ? static_cast<double>(test_correct) / samples : 0; }
  double agreement() const { return samples ? static_cast<double>(agreeing) / samples : 0; }
};

// Adds a batch: logits of both models, labels (int64 [N]) optional.
Status AddClassificationBatch(ClassificationMetrics& metrics, const Tensor& reference_logits, const Tensor& test_logits,
                              const Tensor* labels);

// Index of the largest value in row `row` of a [N, classes] tensor.
int64_t ArgMaxRow(const Tensor& logits, int64_t row);

}  // namespace qplay
