// What each calibration method would choose for an activation, over its histogram: the
// values a tensor takes on the calibration samples (equal-width bins over its full range)
// with the range MinMax, moving-average MinMax, percentile, entropy and MSE each pick, and
// the fraction of values each range clips. What the page and the teaching widgets draw.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "quant/calibrator.h"

namespace qplay {

struct Histogram {
  float lo = 0, hi = 0;          // the bins cover [lo, hi] in equal widths
  std::vector<int64_t> counts;
};

struct RangeChoice {
  FloatRange range;
  double clipped_fraction = 0;   // of the values seen, outside the range
};

struct ActivationRanges {
  std::string tensor;
  Histogram histogram;
  std::map<std::string, RangeChoice> by_method;  // method name (as in the config) -> choice
};

// `options.observer` sets symmetry and the percentile; every method runs once over the samples.
Result<std::vector<ActivationRanges>> CompareRangeChoices(const Model& model, const std::vector<std::string>& tensors,
                                                          const SampleSet& samples, const ObserverOptions& options,
                                                          int64_t limit = 0, int bins = 128);

std::string RangeChoicesToJson(const std::vector<ActivationRanges>& ranges);

}  // namespace qplay
