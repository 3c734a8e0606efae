// A row's mean and (biased) variance as the normalization kernels take them, reference and fast
// alike: summed in double, the mean first, then the squares around it.
#pragma once
#include <cstdint>
#include <utility>

namespace qplay {

template <typename T>
std::pair<double, double> MeanAndVariance(const T* p, int64_t n) {
  double mean = 0, var = 0;
  for (int64_t i = 0; i < n; ++i) mean += p[i];
  mean /= n;
  for (int64_t i = 0; i < n; ++i) var += (p[i] - mean) * (p[i] - mean);
  return {mean, var / n};
}

}  // namespace qplay
