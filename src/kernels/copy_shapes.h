// The output shapes of Concat and Gather, for their reference and fast kernels alike.
#pragma once
#include "kernels/kernel.h"

namespace qplay {

// ctx's inputs concatenated along `axis` (already normalized); the error names an input whose
// type or other dims differ from input 0's.
Result<Shape> ConcatShape(const KernelContext& ctx, int64_t axis);

// x's dims before `axis`, then the indices' dims, then x's dims after it.
Shape GatherShape(const Shape& x, const Shape& indices, int64_t axis);

}  // namespace qplay
