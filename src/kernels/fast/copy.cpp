// Fast Transpose, Concat and Gather: the same bytes as the reference kernels, which write
// their outputs zeroed first and move a transposed axis an element at a time. Here an output
// is written once; a transpose that moves the input's contiguous axis goes in tiles (4x4
// through SIMD shuffles for 4-byte elements), so that reads and writes both use whole cache
// lines. Strings, element sizes other than 1, 2, 4 and 8 bytes, and errors other than Concat's
// go to the reference kernels.
#include <algorithm>
#include <cstring>

#include "core/thread_pool.h"
#include "kernels/copy_shapes.h"
#include "kernels/registry.h"
#include "kernels/simd/simd.h"

namespace qplay {
namespace {

bool CopiesAsWords(const Tensor& t) {
  const size_t bytes = ElementSize(t.dtype());
  return t.dtype() != DataType::kString && (bytes == 1 || bytes == 2 || bytes == 4 || bytes == 8);
}

// Calls fn(x's elements, y's) as unsigned words of their size (CopiesAsWords(x)).
template <typename Fn>
void AsWords(const Tensor& x, Tensor& y, Fn&& fn) {
  switch (ElementSize(x.dtype())) {
    case 1: return fn(x.data<uint8_t>(), y.data<uint8_t>());
    case 2: return fn(x.data<uint16_t>(), y.data<uint16_t>());
    case 4: return fn(x.data<uint32_t>(), y.data<uint32_t>());
    default: return fn(x.data<uint64_t>(), y.data<uint64_t>());
  }
}

// A transpose's output dims with each one's stride in the input, dims of 1 dropped and
// neighbours that are neighbours in the input too merged.
struct TransposeDims {
  Shape sizes, in_strides;
};

TransposeDims Simplify(const Tensor& x, const std::vector<int64_t>& perm) {
  Shape strides(x.rank(), 1);
  for (int64_t d = x.rank() - 1; d > 0; --d) strides[d - 1] = strides[d] * x.dim(d);
  TransposeDims dims;
  for (int64_t p : perm) {
    if (x.dim(p) == 1) continue;
    if (!dims.sizes.empty() && dims.in_strides.back() == strides[p] * x.dim(p)) {
      dims.sizes.back() *= x.dim(p);
      dims.in_strides.back() = strides[p];
    } else {
      dims.sizes.push_back(x.dim(p));
      dims.in_strides.push_back(strides[p]);
    }
  }
  return dims;
}

// out[i * out_row + j] = in[i + j * in_col] for i < rows, j < cols: in tiles of a cache line's
// worth of rows, so that each input line is used whole before it leaves the cache.
template <typename Word>
void TransposePlane(const Word* in, Word* out, int64_t rows, int64_t cols, int64_t in_col, int64_t out_row) {
  constexpr int64_t kLine = 64 / sizeof(Word);
  for (int64_t i0 = 0; i0 < rows; i0 += kLine) {
    const int64_t i1 = std::min(rows, i0 + kLine);
    int64_t j = 0;
    if constexpr (sizeof(Word) == 4) {
      for (; j + 4 <= cols; j += 4) {
        int64_t i = i0;
        for (; i + 4 <= i1; i += 4) {
          const Word* src = in + i + j * in_col;
          const v128_t r0 = wasm_v128_load(src), r1 = wasm_v128_load(src + in_col), r2 = wasm_v128_load(src + 2 * in_col),
                       r3 = wasm_v128_load(src + 3 * in_col);
          const v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
          const v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
          Word* dst = out + i * out_row + j;
          wasm_v128_store(dst, wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5));
          wasm_v128_store(dst + out_row, wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7));
          wasm_v128_store(dst + 2 * out_row, wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5));
          wasm_v128_store(dst + 3 * out_row, wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7));
        }
        for (; i < i1; ++i)
          for (int64_t jj = j; jj < j + 4; ++jj) out[i * out_row + jj] = in[i + jj * in_col];
      }
    }
    for (; j < cols; ++j)
      for (int64_t i = i0; i < i1; ++i) out[i * out_row + j] = in[i + j * in_col];
  }
}

// Output element (index over dims) of a simplified transpose is input element sum index[d] *
// in_strides[d]. With the output's last dim contiguous in the input, rows are copied whole;
// else the dim contiguous in the input (stride 1) and the last one form planes to transpose.
template <typename Word>
void TransposeWords(const Word* in, Word* out, const TransposeDims& dims) {
  const int64_t rank = static_cast<int64_t>(dims.sizes.size());
  int64_t inner = rank - 1;
  while (inner >= 0 && dims.in_strides[inner] != 1) --inner;
  Shape out_strides(rank, 1);
  for (int64_t d = rank - 1; d > 0; --d) out_strides[d - 1] = out_strides[d] * dims.sizes[d];
  // The other dims, walked as one count: each index a row or a plane.
  Shape outer_sizes, outer_in, outer_out;
  for (int64_t d = 0; d < rank - 1; ++d) {
    if (d == inner) continue;
    outer_sizes.push_back(dims.sizes[d]);
    outer_in.push_back(dims.in_strides[d]);
    outer_out.push_back(out_strides[d]);
  }
  const int64_t count = NumElements(outer_sizes), last = dims.sizes.back();
  const int64_t work = inner == rank - 1 ? last : last * dims.sizes[inner];
  ParallelFor(count, GrainForWork(work), [&](int64_t first, int64_t end) {
    for (int64_t n = first; n < end; ++n) {
      int64_t in_at = 0, out_at = 0;
      for (int64_t d = static_cast<int64_t>(outer_sizes.size()), rest = n; d-- > 0; rest /= outer_sizes[d]) {
        in_at += (rest % outer_sizes[d]) * outer_in[d];
        out_at += (rest % outer_sizes[d]) * outer_out[d];
      }
      if (inner == rank - 1) std::memcpy(out + out_at, in + in_at, static_cast<size_t>(last) * sizeof(Word));
      else TransposePlane(in + in_at, out + out_at, dims.sizes[inner], last, dims.in_strides.back(), out_strides[inner]);
    }
  });
}

Status Transpose(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  std::vector<int64_t> perm = ctx.node.GetInts("perm");
  if (perm.empty())
    for (int64_t d = x.rank(); d-- > 0;) perm.push_back(d);
  // A perm that is not a permutation of x's axes gets the reference kernel's error.
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t d = 0; d < static_cast<int64_t>(sorted.size()); ++d)
    if (sorted[d] != d) return RunReferenceKernel(ctx);
  if (static_cast<int64_t>(perm.size()) != x.rank() || !CopiesAsWords(x)) return RunReferenceKernel(ctx);
  Shape out_shape;
  for (int64_t p : perm) out_shape.push_back(x.dim(p));
  Tensor& y = ctx.OutputToOverwrite(0, x.dtype(), out_shape);
  const TransposeDims dims = Simplify(x, perm);
  if (x.size() == 0) return Status::Ok();
  if (dims.sizes.empty()) {
    std::memcpy(y.raw(), x.raw(), ElementSize(x.dtype()));
    return Status::Ok();
  }
  AsWords(x, y, [&](const auto* in, auto* out) { TransposeWords(in, out, dims); });
  return Status::Ok();
}

Status Concat(KernelContext& ctx) {
  const Tensor& first = ctx.in(0);
  int64_t axis = ctx.node.GetInt("axis", 0);
  if (!NormalizeAxis(axis, first.rank()) || !CopiesAsWords(first)) return RunReferenceKernel(ctx);
  auto out_shape = ConcatShape(ctx, axis);
  if (!out_shape.ok()) return out_shape.status();
  Tensor& y = ctx.OutputToOverwrite(0, first.dtype(), *out_shape);
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= y.dim(d);
  if (y.size() == 0) return Status::Ok();
  const int64_t bytes = static_cast<int64_t>(ElementSize(first.dtype())), out_row = y.size() / outer * bytes;
  ParallelFor(outer, GrainForWork(out_row), [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
      uint8_t* dst = y.raw() + o * out_row;
      for (size_t k = 0; k < ctx.num_inputs(); ++k) {
        const int64_t row = ctx.in(k).size() / outer * bytes;
        std::memcpy(dst, ctx.in(k).raw() + o * row, static_cast<size_t>(row));
        dst += row;
      }
    }
  });
  return Status::Ok();
}

// Slices of `inner` words of x along the axis, picked by indices already in range.
template <typename Word>
void GatherWords(const Word* x, Word* y, const std::vector<int64_t>& indices, int64_t outer, int64_t dim, int64_t inner) {
  const int64_t count = static_cast<int64_t>(indices.size());
  ParallelFor(outer, GrainForWork(count * inner), [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o)
      for (int64_t k = 0; k < count; ++k) {
        const Word* src = x + (o * dim + indices[k]) * inner;
        Word* dst = y + (o * count + k) * inner;
        if (inner == 1) *dst = *src;
        else std::memcpy(dst, src, static_cast<size_t>(inner) * sizeof(Word));
      }
  });
}

Status Gather(KernelContext& ctx) {
  const Tensor &x = ctx.in(0), &index_tensor = ctx.in(1);
  int64_t axis = ctx.node.GetInt("axis", 0);
  if (!NormalizeAxis(axis, x.rank()) || !CopiesAsWords(x)) return RunReferenceKernel(ctx);
  const int64_t dim = x.dim(axis);
  std::vector<int64_t> indices = index_tensor.ToInt64Vector();
  for (int64_t& index : indices) {
    if (index < 0) index += dim;
    if (index < 0 || index >= dim) return RunReferenceKernel(ctx);  // which names the index
  }
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.dim(d);
  for (int64_t d = axis + 1; d < x.rank(); ++d) inner *= x.dim(d);
  Tensor& y = ctx.OutputToOverwrite(0, x.dtype(), GatherShape(x.shape(), index_tensor.shape(), axis));
  if (y.size() == 0) return Status::Ok();
  AsWords(x, y, [&](const auto* in, auto* out) { GatherWords(in, out, indices, outer, dim, inner); });
  return Status::Ok();
}

}  // namespace

void RegisterFastCopyKernels(KernelRegistry& r) {
  r.Add("Transpose", Transpose, "", KernelVariant::kFast);
  r.Add("Concat", Concat, "", KernelVariant::kFast);
  r.Add("Gather", Gather, "", KernelVariant::kFast);
}

}  // namespace qplay
