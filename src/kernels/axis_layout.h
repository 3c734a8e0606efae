// A tensor seen around one axis: the product of the dims before it and of those after it, the
// view by which kernels copy or combine whole rows along that axis.
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace qplay {

struct AxisLayout {
  int64_t outer = 1, length = 1, inner = 1;
};

inline AxisLayout LayoutAround(const Shape& shape, int64_t axis) {
  AxisLayout l;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    if (d < axis) l.outer *= shape[d];
    else if (d == axis) l.length = shape[d];
    else l.inner *= shape[d];
  }
  return l;
}

}  // namespace qplay
