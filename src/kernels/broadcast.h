// Numpy-style broadcasting: the output shape of several inputs, and a walk over the output
// that keeps each input's flat offset in step.
#pragma once
#include <optional>
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace qplay {

// Fails with both shapes in the message when they do not broadcast.
Result<Shape> BroadcastShapes(const std::vector<Shape>& shapes);

// Calls fn(output_index, offsets) for every output element; offsets[k] indexes input k.
template <typename Fn>
void ForEachBroadcast(const Shape& out, const std::vector<Shape>& ins, Fn&& fn) {
  const size_t rank = out.size(), n = ins.size();
  const int64_t total = NumElements(out);
  if (total == 0) return;
  std::vector<std::vector<int64_t>> strides(n, std::vector<int64_t>(rank, 0));
  for (size_t k = 0; k < n; ++k) {
    int64_t stride = 1;
    for (size_t j = 0; j < ins[k].size(); ++j) {
      size_t in_axis = ins[k].size() - 1 - j, out_axis = rank - 1 - j;
      strides[k][out_axis] = ins[k][in_axis] == 1 ? 0 : stride;
      stride *= ins[k][in_axis];
    }
  }
  std::vector<int64_t> counter(rank, 0), offsets(n, 0);
  for (int64_t i = 0; i < total; ++i) {
    fn(i, offsets.data());
    for (size_t d = rank; d-- > 0;) {
      for (size_t k = 0; k < n; ++k) offsets[k] += strides[k][d];
      if (++counter[d] < out[d]) break;
      for (size_t k = 0; k < n; ++k) offsets[k] -= strides[k][d] * out[d];
      counter[d] = 0;
    }
  }
}

// True when `in` broadcasts to `out` by repeating it whole: its dims, leading 1s aside, are
// out's trailing dims (then element i of out reads element i % size of in).
inline bool IsTrailingBlock(const Shape& in, const Shape& out) {
  size_t first = 0;
  while (first < in.size() && in[first] == 1) ++first;
  const size_t kept = in.size() - first;
  if (kept > out.size() || NumElements(in) == 0) return false;
  return std::equal(in.begin() + static_cast<std::ptrdiff_t>(first), in.end(), out.end() - static_cast<std::ptrdiff_t>(kept));
}

// When `in` broadcasts to `out` as one block of out's adjacent dims, with 1s (or nothing) on
// either side (a per-channel scale [C, 1, 1] against [N, C, H, W]; a bias [C] against [N, C]),
// how many consecutive elements of out each element of in covers: H x W there, 1 for a trailing
// block. nullopt for any other broadcast.
inline std::optional<int64_t> BlockRunLength(const Shape& in, const Shape& out) {
  if (in.size() > out.size() || NumElements(in) == 0) return std::nullopt;
  const size_t pad = out.size() - in.size();
  auto dim = [&](size_t d) { return d < pad ? int64_t{1} : in[d - pad]; };
  size_t first = 0, last = out.size();
  while (first < out.size() && dim(first) == 1) ++first;
  if (first == out.size()) return NumElements(out);  // a single value covers everything
  while (last > first && dim(last - 1) == 1) --last;
  int64_t run = 1;
  for (size_t d = first; d < out.size(); ++d) {
    if (d < last && dim(d) != out[d]) return std::nullopt;
    if (d >= last) run *= out[d];
  }
  return run;
}

}  // namespace qplay
