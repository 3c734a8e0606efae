// The analyzer's report on a float model and its quantized (QDQ) version over one data set,
// what `qplay analyze FLOAT QUANT` prints and `model.report` returns: outputs and accuracy,
// every quantized tensor's error worst first (weights with per-channel statistics), each
// quantized activation's histogram with the range every calibration method would choose,
// both models' sizes, and both models' per-op profiles. Versioned; docs/analysis-report.md
// lists the JSON keys.
#pragma once
#include <string>
#include <vector>

#include "analysis/evaluate.h"
#include "analysis/layer_error.h"
#include "analysis/profile.h"
#include "analysis/range_choices.h"

namespace qplay {

constexpr int kAnalysisReportVersion = 1;

struct AnalysisOptions {
  int64_t batch_size = 50;
  int64_t range_samples = 200;  // samples each calibration method sees for the range comparison
  int histogram_bins = 128;
  int profile_runs = 5;         // each model timed on the first sample (batch 1), median of these
  ObserverOptions observer;     // symmetry and percentile of the range comparison
};

struct AnalysisReport {
  EvaluationReport evaluation;  // float vs quantized outputs (accuracy when labels were given)
  LayerErrorReport layers;
  std::vector<ActivationRanges> activation_ranges;
  ModelProfile float_profile, quantized_profile;
  int64_t float_bytes = 0, quantized_bytes = 0;  // as ONNX files
  std::string ToJson() const;
};

// `data` feeds the model's inputs (runtime/sample_feeds.h); `labels` (int64 [samples]) is
// optional. Progress counts the five passes (evaluation, layers, ranges, two profiles).
Result<AnalysisReport> AnalyzeQuantization(const Model& float_model, const Model& quantized, const SampleSet& data, const Tensor* labels,
                                           const AnalysisOptions& options = {}, const ProgressFn& progress = {});

}  // namespace qplay
