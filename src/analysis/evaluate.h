// Evaluation over a data set in batches: accuracy of a model, and how far a second
// (quantized) model is from it. Shared by `qplay eval` and the wasm module.
#pragma once
#include <map>
#include <string>

#include "analysis/metrics.h"
#include "ir/model.h"
#include "quant/calibrator.h"

namespace qplay {

struct EvaluationReport {
  int64_t samples = 0;
  bool classification = false;  // every output batch was [N, classes] logits
  bool has_labels = false;
  bool has_comparison = false;
  ClassificationMetrics classes;               // reference = first model, test = compared model
  std::map<std::string, ErrorMetrics> outputs; // per output, compared vs reference

  std::string ToJson() const;
};

// `data` feeds the model's inputs (runtime/sample_feeds.h); `labels` (int64 [samples]) and
// `compared` are optional.
Result<EvaluationReport> Evaluate(const Model& reference, const Model* compared, const SampleSet& data,
                                  const Tensor* labels, int64_t batch_size = 100, const ProgressFn& progress = {});

}  // namespace qplay
