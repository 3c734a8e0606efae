// Calibration: runs the float model over samples and feeds every tensor to be quantized to
// its own streaming observer. Samples are processed one batch at a time and dropped.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/progress.h"
#include "ir/model.h"
#include "quant/observers.h"
#include "runtime/sample_feeds.h"

namespace qplay {

struct CalibrationOptions {
  ObserverOptions observer;
  std::map<std::string, ObserverOptions> per_tensor;  // overrides by tensor name
  int64_t batch_size = 1;  // samples per run where the model's batch is dynamic
  int64_t limit = 0;  // use at most this many samples (0: all)
};

// Ranges of `tensors` (graph inputs or node outputs) over `samples` (fed as SampleFeeds reads
// them). Fails on an empty set, samples of the wrong shape or type, NaN/Inf (naming sample, input and element), or cancellation.
Result<std::map<std::string, FloatRange>> Calibrate(const Model& model, const std::vector<std::string>& tensors,
                                                    const SampleSet& samples, const CalibrationOptions& options,
                                                    const ProgressFn& progress = {});

}  // namespace qplay
