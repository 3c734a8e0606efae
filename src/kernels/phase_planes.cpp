#include "kernels/phase_planes.h"

#include <algorithm>

namespace qplay {

PhasePlanes::PhasePlanes(const WindowGeometry& g)
    : g_(g),
      rows_((g.input[0] + g.pad_begin[0] + g.pad_end[0] + g.strides[0] - 1) / g.strides[0]),
      cols_((g.input[1] + g.pad_begin[1] + g.pad_end[1] + g.strides[1] - 1) / g.strides[1]) {}

bool PhasePlanes::InPlace() const {
  return g_.strides == Shape{1, 1} && g_.pad_begin == Shape{0, 0} && g_.pad_end == Shape{0, 0};
}

int64_t PhasePlanes::At(int64_t r, int64_t c) const {
  return ((r % g_.strides[0]) * g_.strides[1] + c % g_.strides[1]) * plane() + (r / g_.strides[0]) * cols_ + c / g_.strides[1];
}

template <typename T>
void PhasePlanes::Fill(const T* x, int64_t channels, T pad, std::vector<T>& out) const {
  const int64_t h = g_.input[0], w = g_.input[1];
  out.resize(static_cast<size_t>(channels * channel() + 8));
  T* dst = out.data();
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t phase_y = 0; phase_y < g_.strides[0]; ++phase_y)
      for (int64_t phase_x = 0; phase_x < g_.strides[1]; ++phase_x)
        for (int64_t row = 0; row < rows_; ++row) {
          const int64_t iy = row * g_.strides[0] + phase_y - g_.pad_begin[0];
          // Columns [begin, end) of this phase row sample the input, from ix = col * stride + shift.
          const int64_t shift = phase_x - g_.pad_begin[1];
          int64_t begin = 0, end = iy >= 0 && iy < h ? cols_ : 0;
          while (begin < end && begin * g_.strides[1] + shift < 0) ++begin;
          while (end > begin && (end - 1) * g_.strides[1] + shift >= w) --end;
          dst = std::fill_n(dst, begin, pad);
          if (begin < end) {
            const T* src = x + (c * h + iy) * w + begin * g_.strides[1] + shift;
            if (g_.strides[1] == 1) dst = std::copy_n(src, end - begin, dst);
            else for (int64_t col = begin; col < end; ++col, src += g_.strides[1]) *dst++ = *src;
          }
          dst = std::fill_n(dst, cols_ - end, pad);
        }
  std::fill_n(dst, 8, pad);
}

InPlacePatches PhasePlanes::Patches(int64_t channels) const {
  InPlacePatches b;
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t ky = 0; ky < g_.kernel[0]; ++ky)
      for (int64_t kx = 0; kx < g_.kernel[1]; ++kx) b.offsets.push_back(c * channel() + At(ky * g_.dilations[0], kx * g_.dilations[1]));
  b.row_stride = cols_;
  b.width = g_.output[1];
  if (cols_ == b.width) b.width *= g_.output[0];  // rows follow each other in the source too: one long row
  return b;
}

template void PhasePlanes::Fill(const float*, int64_t, float, std::vector<float>&) const;
template void PhasePlanes::Fill(const uint8_t*, int64_t, uint8_t, std::vector<uint8_t>&) const;
template void PhasePlanes::Fill(const int8_t*, int64_t, int8_t, std::vector<int8_t>&) const;

}  // namespace qplay
