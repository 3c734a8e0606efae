// Which nodes quantization hurts, and keeping the worst in float until a target is met.
// Calibration runs once; every variant reuses its ranges (QuantizeStaticWithRanges).
//   Sensitivity: for each node the recipe quantizes, the model's first output against the
//   float model's (SQNR, top-1 agreement) with only that node quantized, and with every node
//   but that one quantized; ranked most sensitive first (lowest SQNR alone).
//   Fallback: keep the most sensitive nodes out of 8 bits (float, or int16 activations), one
//   at a time in that order, until the quantized model meets a FallbackTarget.
#pragma once
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "analysis/evaluate.h"
#include "quant/static_quantizer.h"

namespace qplay {

struct NodeSensitivity {
  std::string node, op_type;
  std::vector<std::string> fused;        // the Relu or Clip after it, absorbed by its output's quantizer
  std::vector<std::string> activations;  // its quantized inputs and outputs (float names)
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
                                             const SampleSet& data, const ProgressFn& progress = {});

// Where a node the fallback keeps out of 8 bits goes: float (excluded), or quantized with
// int16 activations (its activation inputs and outputs; weights stay as the recipe says).
enum class FallbackPrecision { kFloat, kInt16 };

// Every limit that is set (not NaN) must hold for the target to be met.
struct FallbackTarget {
  // Top-1 accuracy at most this far below float's (a fraction: 0.01 is one point); without
  // labels, top-1 agreement with the float model at least 1 minus it.
  double max_accuracy_drop = std::nan("");
  double min_agreement = std::nan("");  // top-1 agreement with the float model
  double min_sqnr_db = std::nan("");    // the first output's SQNR against float
  FallbackPrecision keep_as = FallbackPrecision::kFloat;
  // Whether the search can run with `config`: checked before the sensitivity pass it needs.
  Status Validate(const QuantizationConfig& config) const;
};

struct FallbackResult {
  std::vector<std::string> kept_nodes;  // out of 8 bits, in the order they were chosen
  FallbackPrecision keep_as = FallbackPrecision::kFloat;
  bool met = false;
  QuantizationResult quantized;
  EvaluationReport evaluation;          // float model vs the final quantized model
  int64_t float_model_bytes = 0, quantized_model_bytes = 0;  // as ONNX files
  std::string ToJson() const;
};

// `sensitivity` comes from AnalyzeSensitivity with the same model and config (its calibration is
// reused). Progress counts the models tried, of at most one more than the nodes ranked.
Result<FallbackResult> FallBackToTarget(const Model& model, const QuantizationConfig& config, const SampleSet& data,
                                        const Tensor* labels, const FallbackTarget& target, const SensitivityReport& sensitivity,
                                        const ProgressFn& progress = {});

}  // namespace qplay
