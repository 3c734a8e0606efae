// Which nodes quantization hurts, and keeping the worst in float until a target is met.
// Calibration runs once; every variant reuses its ranges (QuantizeStaticWithRanges).
//   Sensitivity: for each node the recipe quantizes, the model's first output against the
//   float model's (SQNR, top-1 agreement) with only that node quantized, and with every node
//   but that one quantized; ranked most sensitive first (lowest SQNR alone).
//   Fallback: keep the most sensitive nodes float, one at a time in that order, until the
//   quantized model loses at most `max_accuracy_drop` of top-1 accuracy on labelled data (or,
//   without labels, its output reaches `min_sqnr_db`).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "analysis/evaluate.h"
#include "quant/static_quantizer.h"

namespace qplay {

struct NodeSensitivity {
  std::string node, op_type;
  ErrorMetrics alone, all_but;        // first output vs float
  double agreement_alone = 0, agreement_all_but = 0;
};

struct SensitivityReport {
  ErrorMetrics all;                   // every node quantized
  double agreement_all = 0;
  std::vector<NodeSensitivity> nodes; // most sensitive first
  std::map<std::string, FloatRange> ranges;  // the calibration every variant reused
  std::string ToJson() const;
};

Result<SensitivityReport> AnalyzeSensitivity(const Model& model, const QuantizationConfig& config, const SampleSet& calibration,
                                             const Tensor& data, const ProgressFn& progress = {});

struct FallbackTarget {
  double max_accuracy_drop = 0.01;    // with labels: at most this much below float's top-1 accuracy
  double min_sqnr_db = 30;            // without labels: the first output's SQNR at least this
};

struct FallbackResult {
  std::vector<std::string> float_nodes;  // kept float, in the order they were chosen
  bool met = false;
  QuantizationResult quantized;
  EvaluationReport evaluation;           // float model vs the final quantized model
  int64_t parameter_bytes = 0;
  std::string ToJson() const;
};

// `sensitivity` comes from AnalyzeSensitivity with the same model and config (its calibration is reused).
Result<FallbackResult> FallBackToTarget(const Model& model, const QuantizationConfig& config, const Tensor& data,
                                        const Tensor* labels, const FallbackTarget& target, const SensitivityReport& sensitivity);

}  // namespace qplay
