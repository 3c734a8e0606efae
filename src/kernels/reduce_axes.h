// Which axes a reduction (ReduceSum, ReduceMean, ...) reduces, read as its opset has them, and
// the output shape: shared by the reference kernels and the fast ones.
#pragma once
#include <vector>

#include "kernels/kernel.h"

namespace qplay {

struct ReducedAxes {
  std::vector<bool> reduced;  // per input axis
  Shape output;
};

// An error names an axis out of range.
Result<ReducedAxes> ReadReducedAxes(const KernelContext& ctx, const Tensor& x);

}  // namespace qplay
