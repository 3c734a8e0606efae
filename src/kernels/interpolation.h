// The filters Resize and GridSample weigh neighbouring elements with.
#pragma once
#include <cmath>

namespace qplay {

// Keys' cubic convolution kernel at distance d, with ONNX's cubic_coeff_a as its coefficient.
inline double CubicFilter(double d, double a) {
  d = std::abs(d);
  if (d < 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
  if (d < 2) return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
  return 0;
}

// The triangle kernel of linear interpolation at distance d.
inline double LinearFilter(double d) {
  d = std::abs(d);
  return d < 1 ? 1 - d : 0;
}

}  // namespace qplay
