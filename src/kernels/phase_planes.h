// A convolution's input rearranged so that every tap reads it at stride 1, for GEMMs that take
// their patches in place (kernels/simd/in_place_patches.h): each channel, padded, split by row
// and column modulo the strides into strides[0] x strides[1] planes of the samples on those
// phases. With strides of 1 that is the padded planes; with no padding either, x itself.
#pragma once
#include <cstdint>
#include <vector>

#include "kernels/simd/in_place_patches.h"
#include "ops/window.h"

namespace qplay {

class PhasePlanes {
 public:
  explicit PhasePlanes(const WindowGeometry& g);
  // Strides of 1 and no padding: the input is its own phase plane, and nothing need be copied.
  bool InPlace() const;
  // Writes `channels` channels of x as phase planes, the padding being `pad`, then 8 elements of
  // slack (a tile of 8 may read past the last sample); each element once, reusing `out`.
  template <typename T>
  void Fill(const T* x, int64_t channels, T pad, std::vector<T>& out) const;
  // Where `channels` channels' patches are in the phase planes (or x when InPlace()).
  InPlacePatches Patches(int64_t channels) const;

 private:
  int64_t plane() const { return rows_ * cols_; }
  int64_t channel() const { return g_.strides[0] * g_.strides[1] * plane(); }
  // Where the sample at (r, c) of the padded input is (r = oy * stride + ky * dilation).
  int64_t At(int64_t r, int64_t c) const;

  const WindowGeometry& g_;
  const int64_t rows_, cols_;
};

}  // namespace qplay
