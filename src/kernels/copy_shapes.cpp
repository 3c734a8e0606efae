#include "kernels/copy_shapes.h"

namespace qplay {

Result<Shape> ConcatShape(const KernelContext& ctx, int64_t axis) {
  const Tensor& first = ctx.in(0);
  Shape out_shape = first.shape();
  out_shape[axis] = 0;
  for (size_t k = 0; k < ctx.num_inputs(); ++k) {
    const Tensor& t = ctx.in(k);
    bool same = t.rank() == first.rank() && t.dtype() == first.dtype();
    for (int64_t d = 0; same && d < t.rank(); ++d) same = d == axis || t.dim(d) == first.dim(d);
    if (!same)
      return ctx.Invalid("input ", k, " is ", DataTypeName(t.dtype()), " ", ShapeToString(t.shape()),
                         ", which does not concatenate with input 0 ", DataTypeName(first.dtype()), " ",
                         ShapeToString(first.shape()), " along axis ", axis);
    out_shape[axis] += t.dim(axis);
  }
  return out_shape;
}

Shape GatherShape(const Shape& x, const Shape& indices, int64_t axis) {
  Shape out_shape(x.begin(), x.begin() + axis);
  out_shape.insert(out_shape.end(), indices.begin(), indices.end());
  out_shape.insert(out_shape.end(), x.begin() + axis + 1, x.end());
  return out_shape;
}

}  // namespace qplay
