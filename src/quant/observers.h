// Streaming range observers: each batch of values updates a fixed-size state and is then
// dropped, so calibration memory does not grow with the number of samples.
//   MinMax               running min and max
//   MovingAverageMinMax  min/max averaged over batches with constant c (0.01), as PyTorch
//   Histogram            a histogram over a range that widens as needed (old counts are
//                        redistributed), from which Percentile, Entropy (KL) and MSE choose
//                        the clipping range
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace qplay {

struct FloatRange {
  float min = 0;
  float max = 0;
};

enum class CalibrationMethod { kMinMax, kMovingAverage, kPercentile, kEntropy, kMse };

Result<CalibrationMethod> ParseCalibrationMethod(const std::string& name);
std::string CalibrationMethodName(CalibrationMethod method);

struct ObserverOptions {
  CalibrationMethod method = CalibrationMethod::kMinMax;
  bool symmetric = false;         // range symmetric around 0 (histogram of |x|)
  double percentile = 99.999;     // kPercentile
  double averaging_constant = 0.01;  // kMovingAverage
  int bins = 2048;                // histogram methods
  int quant_levels = 256;         // kEntropy, kMse: levels of the target type (8-bit: 256)
};

class Observer {
 public:
  virtual ~Observer() = default;
  // Updates the statistics with one batch. Non-finite values are an error named by the caller.
  virtual void Observe(const float* values, int64_t count) = 0;
  // The range to quantize to; {0, 0} when nothing was observed.
  virtual FloatRange Range() const = 0;
  // Bytes of state kept (constant, whatever the number of batches).
  virtual size_t StateBytes() const = 0;
};

std::unique_ptr<Observer> MakeObserver(const ObserverOptions& options);

}  // namespace qplay
