// Ops that create or index tensors: Constant, ConstantOfShape, Cast, CastLike, Range,
// Gather, GatherElements, GatherND, ScatterND, ScatterElements, NonZero, OneHot, EyeLike, Trilu,
// CumSum.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/conv_geometry.h"
#include "kernels/copy_shapes.h"
#include "kernels/registry.h"

namespace qplay {
namespace {

// Attribute `name`'s tensor; fails with why it could not be loaded (no element type, strings).
Result<Tensor> TensorAttribute(const KernelContext& ctx, const std::string& name) {
  const Attribute& attr = ctx.node.attributes.at(name);
  if (!attr.unreadable.empty()) return ctx.Unsupported(attr.unreadable);
  return attr.t;
}

Status Constant(KernelContext& ctx) {
  const Node& node = ctx.node;
  if (node.Has("value")) {
    auto value = TensorAttribute(ctx, "value");
    if (!value.ok()) return value.status();
    ctx.SetOutput(0, *value);
  }
  else if (node.Has("value_float")) ctx.SetOutput(0, Tensor::Scalar<float>(node.GetFloat("value_float", 0)));
  else if (node.Has("value_int")) ctx.SetOutput(0, Tensor::Scalar<int64_t>(node.GetInt("value_int", 0)));
  else if (node.Has("value_floats")) {
    auto v = node.GetFloats("value_floats");
    ctx.SetOutput(0, Tensor::FromVector<float>({static_cast<int64_t>(v.size())}, v));
  } else if (node.Has("value_ints")) {
    auto v = node.GetInts("value_ints");
    ctx.SetOutput(0, Tensor::FromVector<int64_t>({static_cast<int64_t>(v.size())}, v));
  } else {
    return ctx.Unsupported("Constant without a numeric value attribute (sparse or string values)");
  }
  return Status::Ok();
}

Status ConstantOfShape(KernelContext& ctx) {
  Shape shape = ctx.in(0).ToInt64Vector();
  auto given = ctx.node.Has("value") ? TensorAttribute(ctx, "value") : Result<Tensor>(Tensor::Scalar<float>(0.0f));
  if (!given.ok()) return given.status();
  const Tensor& value = *given;
  if (value.size() != 1) return ctx.Invalid("attribute 'value' must hold one element; it holds ", value.size());
  QPLAY_RETURN_IF_ERROR(ctx.CheckOutputSize(value.dtype(), shape));
  Tensor& out = ctx.Output(0, value.dtype(), shape);
  const size_t bytes = ElementSize(value.dtype());
  for (int64_t i = 0; i < out.size(); ++i) std::memcpy(out.raw() + i * bytes, value.raw(), bytes);
  return Status::Ok();
}

// Converts every element of `x` to `to` the way numpy's astype does for these types.
Status CastTo(KernelContext& ctx, const Tensor& x, DataType to) {
  if (!IsSupportedDataType(to)) return ctx.Unsupported("cast to ", DataTypeName(to));
  if (!IsSupportedDataType(x.dtype())) return ctx.Unsupported("cast from ", DataTypeName(x.dtype()));
  Tensor& out = ctx.Output(0, to, x.shape());
  VisitAny(x.dtype(), [&](auto from_tag) {
    using From = decltype(from_tag);
    VisitAny(to, [&](auto to_tag) {
      using To = decltype(to_tag);
      const From* src = x.data<From>();
      To* dst = out.data<To>();
      for (int64_t i = 0; i < x.size(); ++i) {
        if constexpr (std::is_same_v<To, bool>) dst[i] = src[i] != From(0);
        else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>)
          dst[i] = std::isfinite(src[i]) ? static_cast<To>(SaturatingCast<int64_t>(src[i])) : To(0);
        else dst[i] = static_cast<To>(src[i]);
      }
    });
  });
  return Status::Ok();
}

Status Cast(KernelContext& ctx) {
  return CastTo(ctx, ctx.in(0), static_cast<DataType>(ctx.node.GetInt("to", 0)));
}

Status CastLike(KernelContext& ctx) { return CastTo(ctx, ctx.in(0), ctx.in(1).dtype()); }

Status Range(KernelContext& ctx) {
  const Tensor& start = ctx.in(0);
  const double s = start.GetAsDouble(0), limit = ctx.in(1).GetAsDouble(0), delta = ctx.in(2).GetAsDouble(0);
  if (delta == 0) return ctx.Invalid("delta is 0");
  const double count = std::max(0.0, std::ceil((limit - s) / delta));
  if (!(count * static_cast<double>(ElementSize(start.dtype())) <= static_cast<double>(MaxTensorBytes())))
    return ctx.Invalid("the output would have ", count, " elements of ", DataTypeName(start.dtype()), "; the limit is ",
                       MaxTensorBytesText());
  const int64_t n = static_cast<int64_t>(count);
  Tensor& out = ctx.Output(0, start.dtype(), {n});
  bool visited = VisitNumeric(start.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T first = start.data<T>()[0], step = ctx.in(2).data<T>()[0];
    for (int64_t i = 0; i < n; ++i) out.data<T>()[i] = static_cast<T>(first + static_cast<T>(i) * step);
  });
  return visited ? Status::Ok() : ctx.Unsupported("element type ", DataTypeName(start.dtype()));
}

Status Gather(KernelContext& ctx) {
  const Tensor &x = ctx.in(0), &indices = ctx.in(1);
  int64_t axis = ctx.node.GetInt("axis", 0);
  if (!NormalizeAxis(axis, x.rank())) return ctx.Invalid("axis out of range for rank ", x.rank());
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.dim(d);
  for (int64_t d = axis + 1; d < x.rank(); ++d) inner *= x.dim(d);
  const int64_t dim = x.dim(axis);
  Tensor& out = ctx.Output(0, x.dtype(), GatherShape(x.shape(), indices.shape(), axis));
  const size_t bytes = ElementSize(x.dtype()) * inner;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < indices.size(); ++k) {
      int64_t index = indices.GetAsInt64(k);
      if (index < 0) index += dim;
      if (index < 0 || index >= dim) return ctx.Invalid("index ", indices.GetAsInt64(k), " out of range for dim ", dim);
      std::memcpy(out.raw() + (o * indices.size() + k) * bytes, x.raw() + (o * dim + index) * bytes, bytes);
    }
  return Status::Ok();
}

Status GatherElements(KernelContext& ctx) {
  const Tensor &x = ctx.in(0), &indices = ctx.in(1);
  int64_t axis = ctx.node.GetInt("axis", 0);
  if (!NormalizeAxis(axis, x.rank()) || indices.rank() != x.rank())
    return ctx.Invalid("indices ", ShapeToString(indices.shape()), " must have X's rank ", x.rank());
  for (int64_t d = 0; d < x.rank(); ++d)
    if (d != axis && indices.dim(d) > x.dim(d))
      return ctx.Invalid("indices ", ShapeToString(indices.shape()), " is larger than X ", ShapeToString(x.shape()), " in dim ", d);
  Tensor& out = ctx.Output(0, x.dtype(), indices.shape());
  const size_t bytes = ElementSize(x.dtype());
  std::vector<int64_t> strides(x.rank(), 1);
  for (int64_t d = x.rank() - 1; d > 0; --d) strides[d - 1] = strides[d] * x.dim(d);
  Status status;
  ForEachPosition(indices.shape(), [&](int64_t i, const std::vector<int64_t>& index) {
    int64_t k = indices.GetAsInt64(i);
    if (k < 0) k += x.dim(axis);
    if (k < 0 || k >= x.dim(axis)) {
      status = ctx.Invalid("index ", indices.GetAsInt64(i), " out of range for dim ", x.dim(axis));
      return;
    }
    int64_t src = 0;
    for (int64_t d = 0; d < x.rank(); ++d) src += (d == axis ? k : index[d]) * strides[d];
    std::memcpy(out.raw() + i * bytes, x.raw() + src * bytes, bytes);
  });
  return status;
}

// Slices of data at the index tuples in indices' last axis. The first batch_dims dims of both
// are batch dims: each batch's tuples index that batch's part of data.
Status GatherND(KernelContext& ctx) {
  const Tensor &data = ctx.in(0), &indices = ctx.in(1);
  const int64_t batch_dims = ctx.node.GetInt("batch_dims", 0), rank = data.rank();
  if (indices.rank() < 1 || batch_dims >= std::min(indices.rank(), rank))
    return ctx.Invalid("batch_dims ", batch_dims, " must be below the ranks of data (", rank, ") and indices (", indices.rank(), ")");
  const int64_t indexed = indices.dim(indices.rank() - 1);
  if (indexed < 1 || batch_dims + indexed > rank)
    return ctx.Invalid("indices' last dim ", indexed, " must be in [1, ", rank - batch_dims, "] (data's rank minus batch_dims)");
  int64_t batches = 1, batch_elements = 1, slice = 1;
  for (int64_t d = 0; d < batch_dims; ++d) {
    if (indices.dim(d) != data.dim(d)) return ctx.Invalid("batch dim ", d, " is ", indices.dim(d), " in indices but ", data.dim(d), " in data");
    batches *= data.dim(d);
  }
  for (int64_t d = batch_dims; d < rank; ++d) batch_elements *= data.dim(d);
  for (int64_t d = batch_dims + indexed; d < rank; ++d) slice *= data.dim(d);
  Shape out_shape(indices.shape().begin(), indices.shape().end() - 1);
  out_shape.insert(out_shape.end(), data.shape().begin() + batch_dims + indexed, data.shape().end());
  QPLAY_RETURN_IF_ERROR(ctx.CheckOutputSize(data.dtype(), out_shape));
  Tensor& out = ctx.Output(0, data.dtype(), out_shape);
  if (out.size() == 0) return Status::Ok();
  const int64_t tuples = indices.size() / indexed, tuples_per_batch = batches ? tuples / batches : 0;
  const size_t bytes = ElementSize(data.dtype());
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t offset = 0;
    for (int64_t j = 0; j < indexed; ++j) {
      const int64_t size = data.dim(batch_dims + j), i = indices.GetAsInt64(t * indexed + j);
      if (i < -size || i >= size) return ctx.Invalid("index ", i, " is out of range for dim ", batch_dims + j, " of size ", size);
      offset = offset * size + (i < 0 ? i + size : i);
    }
    const int64_t source = (t / tuples_per_batch) * batch_elements + offset * slice;
    std::memcpy(out.raw() + t * slice * bytes, data.raw() + source * bytes, slice * bytes);
  }
  return Status::Ok();
}

// data with updates written (or combined by `reduction`) where indices point along axis: the
// element of updates at position p goes to p with its axis coordinate replaced by indices[p].
Status ScatterElements(KernelContext& ctx) {
  const Tensor &data = ctx.in(0), &indices = ctx.in(1), &updates = ctx.in(2);
  int64_t axis = ctx.node.GetInt("axis", 0);
  if (!NormalizeAxis(axis, data.rank()) || indices.rank() != data.rank() || updates.shape() != indices.shape())
    return ctx.Invalid("indices ", ShapeToString(indices.shape()), " and updates ", ShapeToString(updates.shape()),
                       " must have one shape of data's rank ", data.rank());
  for (int64_t d = 0; d < data.rank(); ++d)
    if (indices.dim(d) > data.dim(d))
      return ctx.Invalid("indices ", ShapeToString(indices.shape()), " is larger than data ", ShapeToString(data.shape()), " in dim ", d);
  const std::string reduction = ctx.node.GetString("reduction", "none");
  Tensor out = data.Clone();
  std::vector<int64_t> strides(data.rank(), 1);
  for (int64_t d = data.rank() - 1; d > 0; --d) strides[d - 1] = strides[d] * data.dim(d);
  Status status;
  const bool visited = VisitAny(data.dtype(), [&](auto tag) {
    using T = decltype(tag);
    ForEachPosition(indices.shape(), [&](int64_t i, const std::vector<int64_t>& at) {
      int64_t k = indices.GetAsInt64(i);
      if (k < -data.dim(axis) || k >= data.dim(axis)) {
        if (status.ok()) status = ctx.Invalid("index ", k, " is out of range for dim ", axis, " of size ", data.dim(axis));
        return;
      }
      if (k < 0) k += data.dim(axis);
      int64_t target = 0;
      for (int64_t d = 0; d < data.rank(); ++d) target += (d == axis ? k : at[d]) * strides[d];
      T& dst = out.data<T>()[target];
      const T src = updates.data<T>()[i];
      if (reduction == "add") dst = static_cast<T>(dst + src);
      else if (reduction == "mul") dst = static_cast<T>(dst * src);
      else if (reduction == "max") dst = std::max(dst, src);
      else if (reduction == "min") dst = std::min(dst, src);
      else dst = src;
    });
  });
  if (!visited) return ctx.Unsupported("element type ", DataTypeName(data.dtype()));
  QPLAY_RETURN_IF_ERROR(status);
  ctx.SetOutput(0, out);
  return Status::Ok();
}

// The coordinates of X's nonzero elements in row-major order, one row per dim: [rank, count]
// (a scalar counts as one dim).
Status NonZero(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  std::vector<int64_t> found;
  const bool visited = VisitAny(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < x.size(); ++i)
      if (x.data<T>()[i] != T{}) found.push_back(i);
  });
  if (!visited) return ctx.Unsupported("element type ", DataTypeName(x.dtype()));
  const int64_t rank = std::max<int64_t>(x.rank(), 1), count = static_cast<int64_t>(found.size());
  Tensor& y = ctx.Output(0, DataType::kInt64, {rank, count});
  for (int64_t j = 0; j < count; ++j) {
    int64_t rest = found[j];
    for (int64_t d = x.rank() - 1; d >= 0; --d) {
      y.data<int64_t>()[d * count + j] = rest % x.dim(d);
      rest /= x.dim(d);
    }
  }
  return Status::Ok();
}

// values[1] where an index (negative ones count from depth) picks the position along the new
// axis, values[0] everywhere else; an index outside [-depth, depth) picks nothing.
Status OneHot(KernelContext& ctx) {
  const Tensor &indices = ctx.in(0), &depth_tensor = ctx.in(1), &values = ctx.in(2);
  if (depth_tensor.size() != 1) return ctx.Invalid("depth must hold one value, got shape ", ShapeToString(depth_tensor.shape()));
  if (values.size() != 2) return ctx.Invalid("values must hold [off, on], got shape ", ShapeToString(values.shape()));
  const double depth_value = depth_tensor.GetAsDouble(0);
  if (!(depth_value >= 1) || depth_value > static_cast<double>(MaxTensorBytes()))
    return ctx.Invalid("depth must be a positive number of classes, got ", depth_value);
  const int64_t depth = static_cast<int64_t>(depth_value);
  int64_t axis = ctx.node.GetInt("axis", -1);
  if (!NormalizeAxis(axis, indices.rank() + 1)) return ctx.Invalid("axis out of range for rank ", indices.rank() + 1);
  Shape out_shape = indices.shape();
  out_shape.insert(out_shape.begin() + axis, depth);
  QPLAY_RETURN_IF_ERROR(ctx.CheckOutputSize(values.dtype(), out_shape));
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= indices.dim(d);
  for (int64_t d = axis; d < indices.rank(); ++d) inner *= indices.dim(d);
  Tensor& y = ctx.Output(0, values.dtype(), out_shape);
  const bool visited = VisitAny(values.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T off = values.data<T>()[0], on = values.data<T>()[1];
    std::fill(y.data<T>(), y.data<T>() + y.size(), off);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t in = 0; in < inner; ++in) {
        // Indices and depth count as whole numbers (truncated, as ONNX Runtime casts them).
        const double index = std::trunc(indices.GetAsDouble(o * inner + in));
        if (!(index >= static_cast<double>(-depth) && index < static_cast<double>(depth))) continue;
        const int64_t k = static_cast<int64_t>(index) + (index < 0 ? depth : 0);
        y.data<T>()[(o * depth + k) * inner + in] = on;
      }
  });
  return visited ? Status::Ok() : ctx.Unsupported("element type ", DataTypeName(values.dtype()));
}

Status EyeLike(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  if (x.rank() != 2) return ctx.Invalid("input must be 2-D");
  const DataType type = ctx.node.Has("dtype") ? static_cast<DataType>(ctx.node.GetInt("dtype", 1)) : x.dtype();
  const int64_t k = ctx.node.GetInt("k", 0);
  Tensor& out = ctx.Output(0, type, x.shape());
  bool visited = VisitAny(type, [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < x.dim(0); ++i)
      if (i + k >= 0 && i + k < x.dim(1)) out.data<T>()[i * x.dim(1) + i + k] = T(1);
  });
  return visited ? Status::Ok() : ctx.Unsupported("element type ", DataTypeName(type));
}

Status Trilu(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  if (x.rank() < 2) return ctx.Invalid("input must have rank >= 2");
  const int64_t k = ctx.has(1) ? ctx.in(1).GetAsInt64(0) : 0;
  const bool upper = ctx.node.GetInt("upper", 1) != 0;
  const int64_t rows = x.dim(x.rank() - 2), cols = x.dim(x.rank() - 1);
  Tensor out = x.Clone();
  const size_t bytes = ElementSize(x.dtype());
  for (int64_t i = 0; i < out.size(); ++i) {
    const int64_t c = i % cols, r = (i / cols) % rows;
    if (upper ? c - r < k : c - r > k) std::memset(out.raw() + i * bytes, 0, bytes);
  }
  ctx.SetOutput(0, out);
  return Status::Ok();
}

Status CumSum(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  int64_t axis = ctx.in(1).GetAsInt64(0);
  if (!NormalizeAxis(axis, x.rank())) return ctx.Invalid("axis out of range for rank ", x.rank());
  const bool exclusive = ctx.node.GetInt("exclusive", 0), reverse = ctx.node.GetInt("reverse", 0);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.dim(d);
  for (int64_t d = axis + 1; d < x.rank(); ++d) inner *= x.dim(d);
  const int64_t n = x.dim(axis);
  Tensor& out = ctx.Output(0, x.dtype(), x.shape());
  bool visited = VisitNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t in = 0; in < inner; ++in) {
        T acc = 0;
        for (int64_t step = 0; step < n; ++step) {
          const int64_t j = reverse ? n - 1 - step : step;
          const int64_t at = (o * n + j) * inner + in;
          if (exclusive) {
            out.data<T>()[at] = acc;
            acc = WrappingAdd(acc, x.data<T>()[at]);
          } else {
            acc = WrappingAdd(acc, x.data<T>()[at]);
            out.data<T>()[at] = acc;
          }
        }
      }
  });
  return visited ? Status::Ok() : ctx.Unsupported("element type ", DataTypeName(x.dtype()));
}

// data with slices replaced (or combined by `reduction`) at the index tuples in the last axis
// of indices: updates holds one slice of data.shape[k:] per tuple.
Status ScatterND(KernelContext& ctx) {
  const Tensor &data = ctx.in(0), &indices = ctx.in(1), &updates = ctx.in(2);
  if (indices.rank() < 1) return ctx.Invalid("indices must have rank >= 1");
  const int64_t k = indices.dim(indices.rank() - 1);
  if (k < 1 || k > data.rank()) return ctx.Invalid("indices' last dim ", k, " must be in [1, ", data.rank(), "] (data's rank)");
  Shape expected(indices.shape().begin(), indices.shape().end() - 1);
  expected.insert(expected.end(), data.shape().begin() + k, data.shape().end());
  if (updates.shape() != expected)
    return ctx.Invalid("updates ", ShapeToString(updates.shape()), " must be ", ShapeToString(expected));
  int64_t slice = 1;
  for (int64_t d = k; d < data.rank(); ++d) slice *= data.dim(d);
  const std::string reduction = ctx.node.GetString("reduction", "none");
  Tensor out = data.Clone();
  const std::vector<int64_t> index = indices.ToInt64Vector();
  const size_t bytes = ElementSize(data.dtype());
  for (int64_t t = 0; t < static_cast<int64_t>(index.size()) / k; ++t) {
    int64_t offset = 0;
    for (int64_t j = 0; j < k; ++j) {
      int64_t i = index[t * k + j];
      if (i < -data.dim(j) || i >= data.dim(j))
        return ctx.Invalid("index ", i, " is out of range for dim ", j, " of size ", data.dim(j));
      offset = offset * data.dim(j) + (i < 0 ? i + data.dim(j) : i);
    }
    offset *= slice;
    if (reduction == "none") {
      std::memcpy(out.raw() + offset * bytes, updates.raw() + t * slice * bytes, slice * bytes);
      continue;
    }
    const bool visited = VisitNumeric(data.dtype(), [&](auto tag) {
      using T = decltype(tag);
      T* dst = out.data<T>() + offset;
      const T* src = updates.data<T>() + t * slice;
      for (int64_t e = 0; e < slice; ++e)
        dst[e] = reduction == "add" ? T(dst[e] + src[e]) : reduction == "mul" ? T(dst[e] * src[e])
                 : reduction == "max" ? std::max(dst[e], src[e]) : std::min(dst[e], src[e]);
    });
    if (!visited) return ctx.Unsupported("reduction '", reduction, "' on ", DataTypeName(data.dtype()));
  }
  ctx.SetOutput(0, out);
  return Status::Ok();
}

}  // namespace

void RegisterTensorKernels(KernelRegistry& r) {
  r.Add("Constant", Constant);
  r.Add("ConstantOfShape", ConstantOfShape);
  r.Add("Cast", Cast);
  r.Add("CastLike", CastLike);
  r.Add("Range", Range);
  r.Add("Gather", Gather);
  r.Add("GatherElements", GatherElements);
  r.Add("GatherND", GatherND);
  r.Add("ScatterElements", ScatterElements);
  r.Add("Scatter", ScatterElements);
  r.Add("NonZero", NonZero);
  r.Add("OneHot", OneHot);
  r.Add("ScatterND", ScatterND);
  r.Add("EyeLike", EyeLike);
  r.Add("Trilu", Trilu);
  r.Add("CumSum", CumSum);
}

}  // namespace qplay
