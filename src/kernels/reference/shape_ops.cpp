// Ops that move data without arithmetic: Reshape, Flatten, Transpose, Concat, Split, Slice,
// Squeeze, Unsqueeze, Expand, Tile, Pad, Shape, Size, Identity, Dropout, Depth/SpaceToDepth.
// All work on raw bytes, so they cover every element type.
#include <algorithm>
#include <cstring>

#include "kernels/broadcast.h"
#include "kernels/conv_geometry.h"
#include "kernels/copy_shapes.h"
#include "kernels/registry.h"

namespace qplay {
namespace {

// Reads axes from an attribute (older opsets) or from input `input_index` (newer ones).
std::vector<int64_t> AxesFrom(const KernelContext& ctx, const std::string& attr, size_t input_index, int64_t input_since) {
  if (ctx.opset >= input_since) return ctx.has(input_index) ? ctx.in(input_index).ToInt64Vector() : std::vector<int64_t>{};
  return ctx.node.GetInts(attr);
}

Status Identity(KernelContext& ctx) {
  ctx.SetOutput(0, ctx.in(0));
  return Status::Ok();
}

Status Dropout(KernelContext& ctx) {
  const bool training = ctx.has(2) && ctx.in(2).GetAsInt64(0) != 0;
  const double ratio = ctx.has(1) ? ctx.in(1).GetAsDouble(0) : ctx.node.GetFloat("ratio", 0.5f);
  if (training && ratio > 0) return ctx.Unsupported("training_mode=true (random dropout)");
  ctx.SetOutput(0, ctx.in(0));  // inference: identity; the mask is all true
  if (ctx.wants(1)) {
    Tensor& mask = ctx.Output(1, DataType::kBool, ctx.in(0).shape());
    std::fill(mask.data<bool>(), mask.data<bool>() + mask.size(), true);
  }
  return Status::Ok();
}

Status Reshape(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  Shape requested = ctx.opset >= 5 ? ctx.in(1).ToInt64Vector() : ctx.node.GetInts("shape");
  const bool allow_zero = ctx.node.GetInt("allowzero", 0) != 0;
  int64_t infer = -1, known = 1;
  for (size_t i = 0; i < requested.size(); ++i) {
    if (requested[i] == 0 && !allow_zero) {
      if (i >= x.shape().size()) return ctx.Invalid("shape ", ShapeToString(requested), " copies dim ", i, " that X lacks");
      requested[i] = x.dim(static_cast<int64_t>(i));
    }
    if (requested[i] == -1) {
      if (infer >= 0) return ctx.Invalid("shape ", ShapeToString(requested), " has more than one -1");
      infer = static_cast<int64_t>(i);
    } else if (requested[i] < 0 || __builtin_mul_overflow(known, requested[i], &known)) {
      return ctx.Invalid("cannot reshape ", ShapeToString(x.shape()), " (", x.size(), " elements) to ", ShapeToString(requested));
    }
  }
  if (infer >= 0) requested[infer] = known ? x.size() / known : 0;
  if (CheckedNumElements(requested) != x.size())
    return ctx.Invalid("cannot reshape ", ShapeToString(x.shape()), " (", x.size(), " elements) to ", ShapeToString(requested));
  ctx.SetOutput(0, x.Reshaped(requested));
  return Status::Ok();
}

Status Flatten(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  int64_t axis = ctx.node.GetInt("axis", 1);
  if (axis < 0) axis += x.rank();
  if (axis < 0 || axis > x.rank()) return ctx.Invalid("axis ", ctx.node.GetInt("axis", 1), " out of range for rank ", x.rank());
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.dim(d);
  ctx.SetOutput(0, x.Reshaped({outer, outer ? x.size() / outer : 0}));
  return Status::Ok();
}

// Copies `x` into a new tensor of `out_shape`, where output element at index i reads
// x at sum(index[d] * in_strides[d]) + base. Transpose, Slice, Expand and Tile reduce to this.
Tensor StridedCopy(const Tensor& x, const Shape& out_shape, const std::vector<int64_t>& in_strides, int64_t base,
                   const std::vector<int64_t>& modulo = {}) {
  Tensor out(x.dtype(), out_shape);
  const size_t bytes = ElementSize(x.dtype());
  if (out_shape.empty() || out.size() == 0) {
    if (out.size()) std::memcpy(out.raw(), x.raw() + base * bytes, bytes);
    return out;
  }
  // Row by row along the last axis: one memcpy when that axis is contiguous in x.
  const Shape rows(out_shape.begin(), out_shape.end() - 1);
  const int64_t last = out_shape.back(), last_stride = in_strides.back();
  const bool contiguous = last_stride == 1 && (modulo.empty() || modulo.back() >= last);
  ForEachPosition(rows, [&](int64_t r, const std::vector<int64_t>& index) {
    int64_t src = base;
    for (size_t d = 0; d < index.size(); ++d) src += (modulo.empty() ? index[d] : index[d] % modulo[d]) * in_strides[d];
    uint8_t* dst = out.raw() + r * last * static_cast<int64_t>(bytes);
    if (contiguous) {
      std::memcpy(dst, x.raw() + src * bytes, static_cast<size_t>(last) * bytes);
      return;
    }
    // Elements of 1, 2, 4 or 8 bytes: a copy of constant size, which compiles to one load and
    // one store, where a memcpy of `bytes` is a call per element.
    auto gather = [&](auto word) {
      constexpr size_t kSize = sizeof(word);
      for (int64_t j = 0; j < last; ++j)
        std::memcpy(dst + j * static_cast<int64_t>(kSize), x.raw() + (src + (modulo.empty() ? j : j % modulo.back()) * last_stride) * kSize, kSize);
    };
    switch (bytes) {
      case 1: return gather(uint8_t{});
      case 2: return gather(uint16_t{});
      case 4: return gather(uint32_t{});
      case 8: return gather(uint64_t{});
      default:
        for (int64_t j = 0; j < last; ++j) {
          const int64_t at = src + (modulo.empty() ? j : j % modulo.back()) * last_stride;
          std::memcpy(dst + j * static_cast<int64_t>(bytes), x.raw() + at * bytes, bytes);
        }
    }
  });
  return out;
}

std::vector<int64_t> Strides(const Shape& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;) strides[d - 1] = strides[d] * shape[d];
  return strides;
}

Status Transpose(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  std::vector<int64_t> perm = ctx.node.GetInts("perm");
  if (perm.empty())
    for (int64_t d = x.rank(); d-- > 0;) perm.push_back(d);
  if (static_cast<int64_t>(perm.size()) != x.rank()) return ctx.Invalid("perm has ", perm.size(), " values for rank ", x.rank());
  const auto strides = Strides(x.shape());
  Shape out_shape(perm.size());
  std::vector<int64_t> in_strides(perm.size());
  for (size_t d = 0; d < perm.size(); ++d) {
    out_shape[d] = x.dim(perm[d]);
    in_strides[d] = strides[perm[d]];
  }
  ctx.SetOutput(0, StridedCopy(x, out_shape, in_strides, 0));
  return Status::Ok();
}

Status Concat(KernelContext& ctx) {
  const Tensor& first = ctx.in(0);
  int64_t axis = ctx.node.GetInt("axis", 0);
  if (!NormalizeAxis(axis, first.rank())) return ctx.Invalid("axis out of range for rank ", first.rank());
  auto concatenated = ConcatShape(ctx, axis);
  if (!concatenated.ok()) return concatenated.status();
  const Shape& out_shape = *concatenated;
  Tensor& out = ctx.Output(0, first.dtype(), out_shape);
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= out_shape[d];
  const size_t bytes = ElementSize(first.dtype());
  const int64_t out_row = outer ? out.size() / outer : 0;
  int64_t column = 0;
  for (size_t k = 0; k < ctx.num_inputs(); ++k) {
    const Tensor& t = ctx.in(k);
    const int64_t row = outer ? t.size() / outer : 0;
    for (int64_t o = 0; row && o < outer; ++o)
      std::memcpy(out.raw() + (o * out_row + column) * bytes, t.raw() + o * row * bytes, row * bytes);
    column += row;
  }
  return Status::Ok();
}

Status Split(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  int64_t axis = ctx.node.GetInt("axis", 0);
  if (!NormalizeAxis(axis, x.rank())) return ctx.Invalid("axis out of range for rank ", x.rank());
  std::vector<int64_t> sizes = AxesFrom(ctx, "split", 1, 13);
  const int64_t parts = static_cast<int64_t>(ctx.num_outputs());
  if (sizes.empty()) {
    const int64_t chunk = (x.dim(axis) + parts - 1) / parts;
    for (int64_t p = 0; p < parts; ++p) sizes.push_back(std::min(chunk, x.dim(axis) - p * chunk));
  }
  int64_t total = 0;
  for (int64_t s : sizes) total += s;
  if (static_cast<int64_t>(sizes.size()) != parts || total != x.dim(axis))
    return ctx.Invalid("split sizes ", ShapeToString(sizes), " do not divide dim ", axis, " (", x.dim(axis), ") into ", parts, " outputs");
  const auto strides = Strides(x.shape());
  int64_t start = 0;
  for (int64_t p = 0; p < parts; ++p) {
    Shape part = x.shape();
    part[axis] = sizes[p];
    ctx.SetOutput(p, StridedCopy(x, part, strides, start * strides[axis]));
    start += sizes[p];
  }
  return Status::Ok();
}

Status Slice(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  std::vector<int64_t> starts, ends, axes, steps;
  if (ctx.opset < 10) {
    starts = ctx.node.GetInts("starts");
    ends = ctx.node.GetInts("ends");
    axes = ctx.node.GetInts("axes");
  } else {
    starts = ctx.in(1).ToInt64Vector();
    ends = ctx.in(2).ToInt64Vector();
    if (ctx.has(3)) axes = ctx.in(3).ToInt64Vector();
    if (ctx.has(4)) steps = ctx.in(4).ToInt64Vector();
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    return ctx.Invalid("starts, ends, axes and steps must have the same length");
  Shape out_shape = x.shape();
  std::vector<int64_t> first(x.rank(), 0), step(x.rank(), 1);
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t axis = axes[i];
    if (!NormalizeAxis(axis, x.rank())) return ctx.Invalid("axis ", axes[i], " out of range for rank ", x.rank());
    const int64_t dim = x.dim(axis), s = steps[i];
    if (s == 0) return ctx.Invalid("step 0 on axis ", axis);
    int64_t b = starts[i] < 0 ? starts[i] + dim : starts[i];
    int64_t e = ends[i] < 0 ? ends[i] + dim : ends[i];
    // Counted with the step's magnitude unsigned: a step of +-2^63 has no int64 negation.
    const uint64_t magnitude = s > 0 ? static_cast<uint64_t>(s) : 0 - static_cast<uint64_t>(s);
    if (s > 0) {
      b = std::clamp<int64_t>(b, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      out_shape[axis] = e > b ? static_cast<int64_t>(1 + static_cast<uint64_t>(e - b - 1) / magnitude) : 0;
    } else {
      b = std::clamp<int64_t>(b, -1, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      out_shape[axis] = b > e ? static_cast<int64_t>(1 + static_cast<uint64_t>(b - e - 1) / magnitude) : 0;
    }
    first[axis] = b;
    step[axis] = s;
  }
  const auto strides = Strides(x.shape());
  int64_t base = 0;
  std::vector<int64_t> in_strides(x.rank());
  for (int64_t d = 0; d < x.rank(); ++d) {
    if (out_shape[d] > 0) base += first[d] * strides[d];
    // A step is only taken with two or more outputs, and then stays inside the axis.
    in_strides[d] = out_shape[d] > 1 ? strides[d] * step[d] : 0;
  }
  ctx.SetOutput(0, StridedCopy(x, out_shape, in_strides, NumElements(out_shape) ? base : 0));
  return Status::Ok();
}

Status Squeeze(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  std::vector<int64_t> axes = AxesFrom(ctx, "axes", 1, 13);
  std::vector<bool> drop(x.rank(), false);
  if (axes.empty()) {
    for (int64_t d = 0; d < x.rank(); ++d) drop[d] = x.dim(d) == 1;
  }
  for (int64_t axis : axes) {
    if (!NormalizeAxis(axis, x.rank())) return ctx.Invalid("axis out of range for rank ", x.rank());
    if (x.dim(axis) != 1) return ctx.Invalid("cannot squeeze axis ", axis, " of size ", x.dim(axis));
    drop[axis] = true;
  }
  Shape out;
  for (int64_t d = 0; d < x.rank(); ++d)
    if (!drop[d]) out.push_back(x.dim(d));
  ctx.SetOutput(0, x.Reshaped(out));
  return Status::Ok();
}

Status Unsqueeze(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  std::vector<int64_t> axes = AxesFrom(ctx, "axes", 1, 13);
  const int64_t rank = x.rank() + static_cast<int64_t>(axes.size());
  std::vector<bool> inserted(rank, false);
  for (int64_t axis : axes) {
    if (!NormalizeAxis(axis, rank) || inserted[axis]) return ctx.Invalid("bad axes ", ShapeToString(axes), " for output rank ", rank);
    inserted[axis] = true;
  }
  Shape out;
  int64_t next = 0;
  for (int64_t d = 0; d < rank; ++d) out.push_back(inserted[d] ? 1 : x.dim(next++));
  ctx.SetOutput(0, x.Reshaped(out));
  return Status::Ok();
}

Status Expand(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  auto shape = BroadcastShapes({x.shape(), ctx.in(1).ToInt64Vector()});
  if (!shape.ok()) return shape.status();
  QPLAY_RETURN_IF_ERROR(ctx.CheckOutputSize(x.dtype(), *shape));
  Tensor out(x.dtype(), *shape);
  const size_t bytes = ElementSize(x.dtype());
  ForEachBroadcast(*shape, {x.shape()}, [&](int64_t i, const int64_t* o) {
    std::memcpy(out.raw() + i * bytes, x.raw() + o[0] * bytes, bytes);
  });
  ctx.SetOutput(0, out);
  return Status::Ok();
}

Status Tile(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  const auto repeats = ctx.in(1).ToInt64Vector();
  if (static_cast<int64_t>(repeats.size()) != x.rank()) return ctx.Invalid("repeats has ", repeats.size(), " values for rank ", x.rank());
  Shape out_shape = x.shape();
  for (size_t d = 0; d < repeats.size(); ++d)
    if (__builtin_mul_overflow(out_shape[d], repeats[d], &out_shape[d])) out_shape[d] = INT64_MAX;
  QPLAY_RETURN_IF_ERROR(ctx.CheckOutputSize(x.dtype(), out_shape));
  ctx.SetOutput(0, StridedCopy(x, out_shape, Strides(x.shape()), 0, x.shape()));
  return Status::Ok();
}

Status Pad(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  const std::string mode = ctx.node.GetString("mode", "constant");
  std::vector<int64_t> pads = ctx.opset >= 11 ? ctx.in(1).ToInt64Vector() : ctx.node.GetInts("pads");
  double value = ctx.opset >= 11 ? (ctx.has(2) && ctx.in(2).size() ? ctx.in(2).GetAsDouble(0) : 0.0) : ctx.node.GetFloat("value", 0.0f);
  const int64_t rank = x.rank();
  if (ctx.has(3)) {  // opset 18 axes
    auto axes = ctx.in(3).ToInt64Vector();
    if (pads.size() != 2 * axes.size()) return ctx.Invalid("pads has ", pads.size(), " values for ", axes.size(), " axes");
    std::vector<int64_t> full(2 * rank, 0);
    for (size_t i = 0; i < axes.size(); ++i) {
      int64_t a = axes[i];
      if (!NormalizeAxis(a, rank)) return ctx.Invalid("axis ", axes[i], " is out of range for rank ", rank);
      full[a] = pads[i];
      full[a + rank] = pads[i + axes.size()];
    }
    pads = full;
  }
  if (static_cast<int64_t>(pads.size()) != 2 * rank) return ctx.Invalid("pads has ", pads.size(), " values for rank ", rank);
  if (mode != "constant" && mode != "reflect" && mode != "edge") return ctx.Unsupported("mode '", mode, "'");
  Shape out_shape = x.shape();
  for (int64_t d = 0; d < rank; ++d)
    if (__builtin_add_overflow(out_shape[d], pads[d], &out_shape[d]) || __builtin_add_overflow(out_shape[d], pads[d + rank], &out_shape[d]))
      out_shape[d] = INT64_MAX;
  QPLAY_RETURN_IF_ERROR(ctx.CheckOutputSize(x.dtype(), out_shape));
  Tensor out(x.dtype(), out_shape);
  const size_t bytes = ElementSize(x.dtype());
  Tensor fill = Tensor(x.dtype(), {1});
  VisitAny(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) fill.data<T>()[0] = SaturatingCast<T>(value);
    else fill.data<T>()[0] = static_cast<T>(value);
  });
  const auto strides = Strides(x.shape());
  ForEachPosition(out_shape, [&](int64_t i, const std::vector<int64_t>& index) {
    int64_t src = 0;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t p = index[d] - pads[d];
      const int64_t n = x.dim(d);
      if (p < 0 || p >= n) {
        if (mode == "constant" || n == 0) {
          src = -1;
          break;
        }
        if (mode == "edge" || n == 1) {
          p = std::clamp<int64_t>(p, 0, n - 1);  // a length-1 axis reflects onto its one element
        } else {  // reflect: the axis repeats with period 2 (n - 1), mirrored in its second half
          const int64_t period = 2 * (n - 1);
          p = (p % period + period) % period;
          if (p >= n) p = period - p;
        }
      }
      src += p * strides[d];
    }
    std::memcpy(out.raw() + i * bytes, src < 0 ? fill.raw() : x.raw() + src * bytes, bytes);
  });
  ctx.SetOutput(0, out);
  return Status::Ok();
}

Status ShapeOp(KernelContext& ctx) {
  const Shape& shape = ctx.in(0).shape();
  const int64_t rank = static_cast<int64_t>(shape.size());
  int64_t start = ctx.node.GetInt("start", 0), end = ctx.node.GetInt("end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  ctx.SetOutput(0, Tensor::FromVector<int64_t>({std::max<int64_t>(0, end - start)},
                                               std::vector<int64_t>(shape.begin() + start, shape.begin() + std::max(start, end))));
  return Status::Ok();
}

Status Size(KernelContext& ctx) {
  ctx.SetOutput(0, Tensor::Scalar<int64_t>(ctx.in(0).size()));
  return Status::Ok();
}

// DepthToSpace (DCR or CRD) and SpaceToDepth as a reshape-transpose-reshape.
template <bool kToSpace>
Status DepthSpace(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  if (x.rank() != 4) return ctx.Invalid("X must be 4-D, got ", ShapeToString(x.shape()));
  const int64_t b = ctx.node.GetInt("blocksize", 1), n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  Shape six, perm, out;
  if (kToSpace) {
    if (c % (b * b)) return ctx.Invalid("channels ", c, " not divisible by blocksize^2");
    const bool crd = ctx.node.GetString("mode", "DCR") == "CRD";
    six = crd ? Shape{n, c / (b * b), b, b, h, w} : Shape{n, b, b, c / (b * b), h, w};
    perm = crd ? Shape{0, 1, 4, 2, 5, 3} : Shape{0, 3, 4, 1, 5, 2};
    out = {n, c / (b * b), h * b, w * b};
  } else {
    six = {n, c, h / b, b, w / b, b};
    perm = {0, 3, 5, 1, 2, 4};
    out = {n, c * b * b, h / b, w / b};
  }
  const auto strides = Strides(six);
  Shape permuted(6);
  std::vector<int64_t> in_strides(6);
  for (int d = 0; d < 6; ++d) {
    permuted[d] = six[perm[d]];
    in_strides[d] = strides[perm[d]];
  }
  ctx.SetOutput(0, StridedCopy(x.Reshaped(six), permuted, in_strides, 0).Reshaped(out));
  return Status::Ok();
}

}  // namespace

void RegisterShapeKernels(KernelRegistry& r) {
  r.Add("Identity", Identity);
  r.Add("Dropout", Dropout);
  r.Add("Reshape", Reshape);
  r.Add("Flatten", Flatten);
  r.Add("Transpose", Transpose);
  r.Add("Concat", Concat);
  r.Add("Split", Split);
  r.Add("Slice", Slice);
  r.Add("Squeeze", Squeeze);
  r.Add("Unsqueeze", Unsqueeze);
  r.Add("Expand", Expand);
  r.Add("Tile", Tile);
  r.Add("Pad", Pad);
  r.Add("Shape", ShapeOp);
  r.Add("Size", Size);
  r.Add("DepthToSpace", DepthSpace<true>);
  r.Add("SpaceToDepth", DepthSpace<false>);
}

}  // namespace qplay
