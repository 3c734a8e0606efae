// Where a convolution's GEMM finds its B matrix in place, instead of packing it: row kk of B (a
// channel and a tap) at output position (oy, ox) is source[offsets[kk] + oy * row_stride + ox],
// the source being the input's planes (or their phase planes, kernels/phase_planes.h). Also
// plain rows of B: offsets[kk] = kk * n, one row of n positions.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace qplay {

struct InPlacePatches {
  std::vector<int64_t> offsets;  // one per row of B, ascending
  int64_t row_stride = 0;        // source elements from one output row to the next
  int64_t width = 0;             // output positions per row

  static InPlacePatches Rows(int64_t k, int64_t n) {
    InPlacePatches rows{std::vector<int64_t>(static_cast<size_t>(k)), n, n};
    for (int64_t kk = 0; kk < k; ++kk) rows.offsets[kk] = kk * n;
    return rows;
  }
  // Where output position `position` (row-major) samples the source, before each row's offset.
  int64_t At(int64_t position) const { return (position / width) * row_stride + position % width; }

  // Output positions in tiles of 8 along each row, the last of a row maybe shorter: tile t is
  // row t / TilesPerRow() from column 8 * (t % TilesPerRow()).
  int64_t TilesPerRow() const { return (width + 7) / 8; }
  // Where tile t starts in row-major output order; tiles [t0, t1) cover [TileStart(t0), TileStart(t1)).
  int64_t TileStart(int64_t t) const { return (t / TilesPerRow()) * width + (t % TilesPerRow()) * 8; }
  // Where tile t's samples start in the source, before each row's offset.
  int64_t TileBase(int64_t t) const { return (t / TilesPerRow()) * row_stride + (t % TilesPerRow()) * 8; }
  // The source elements `tiles` tiles read: 8 samples from every row's offset, a short tile's too.
  int64_t ReadEnd(int64_t tiles) const { return TileBase(tiles - 1) + offsets.back() + 8; }
};

}  // namespace qplay
