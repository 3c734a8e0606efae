#include "kernels/simd/i8_patches.h"

#include "core/thread_pool.h"
#include "kernels/simd/i8_pack.h"
#include "kernels/simd/simd.h"

namespace qplay {
namespace {

// Where one panel's positions start in a padded plane: lanes below `split` at first + lane,
// the others in the next output row, at second + lane.
struct PanelSource {
  int64_t first = 0, second = 0, split = kI8GemmNr;
  v128_t from_first;  // all ones in the lanes below split
};

std::vector<PanelSource> PanelSources(const WindowGeometry& g, int64_t padded_width, int64_t panels) {
  const int64_t ow = g.output[1], row_step = g.strides[0] * padded_width, column_step = g.strides[1];
  std::vector<PanelSource> sources(static_cast<size_t>(panels));
  for (int64_t p = 0; p < panels; ++p) {
    const int64_t oy = p * kI8GemmNr / ow, ox = p * kI8GemmNr % ow;
    PanelSource& s = sources[p];
    s.split = std::min(kI8GemmNr, ow - ox);
    s.first = oy * row_step + ox * column_step;
    s.second = (oy + 1) * row_step - s.split * column_step;
    alignas(16) int16_t mask[kI8GemmNr];
    for (int64_t j = 0; j < kI8GemmNr; ++j) mask[j] = j < s.split ? -1 : 0;
    s.from_first = wasm_v128_load(mask);
  }
  return sources;
}

}  // namespace

bool PacksPatchesDirectly(const WindowGeometry& g) {
  return g.spatial_rank() == 2 && (g.strides[1] == 1 || g.strides[1] == 2) && g.output[1] >= kI8GemmNr;
}

template <typename T>
void PackI8Patches(const T* x, int64_t channels, const WindowGeometry& g, int32_t zero_point, std::vector<int16_t>& planes,
                   I8PackedB& b) {
  const int64_t h = g.input[0], w = g.input[1], kh = g.kernel[0], kw = g.kernel[1];
  const int64_t ph = h + g.pad_begin[0] + g.pad_end[0], pw = w + g.pad_begin[1] + g.pad_end[1], plane = ph * pw;
  // The last panel may read up to two rows' steps past the last output row (lanes it does not keep).
  const size_t size = static_cast<size_t>(channels * plane + (g.strides[0] + 1) * pw + 4 * kI8GemmNr);
  if (planes.size() != size) planes.assign(size, 0);
  ParallelFor(channels, GrainForWork(h * w), [&](int64_t first, int64_t last) {
    for (int64_t c = first; c < last; ++c)
      for (int64_t y = 0; y < h; ++y)
        WidenRun(x + (c * h + y) * w, w, zero_point, planes.data() + c * plane + (y + g.pad_begin[0]) * pw + g.pad_begin[1]);
  });

  b.k = channels * kh * kw;
  b.n = g.output[0] * g.output[1];
  const int64_t pairs = EvenK(b.k) / 2;
  b.data.resize(static_cast<size_t>(b.panels() * pairs * kI8GemmNr * 2));
  std::vector<int64_t> tap_offset(static_cast<size_t>(b.k));  // row kk's sample for output (0, 0)
  for (int64_t kk = 0; kk < b.k; ++kk) {
    const int64_t c = kk / (kh * kw), ky = kk / kw % kh, kx = kk % kw;
    tap_offset[kk] = c * plane + ky * g.dilations[0] * pw + kx * g.dilations[1];
  }
  const std::vector<PanelSource> sources = PanelSources(g, pw, b.panels());
  ParallelFor(b.panels(), GrainForWork(pairs * kI8GemmNr * 2), [&](int64_t panel_begin, int64_t panel_end) {
    for (int64_t p = panel_begin; p < panel_end; ++p) {
      const PanelSource& s = sources[p];
      // Eight samples a column step apart from `at`: one load, or the even lanes of two.
      auto samples = [&](const int16_t* at) {
        if (g.strides[1] == 1) return wasm_v128_load(at);
        return wasm_i16x8_shuffle(wasm_v128_load(at), wasm_v128_load(at + 8), 0, 2, 4, 6, 8, 10, 12, 14);
      };
      auto row = [&](int64_t kk) {
        if (kk >= b.k) return wasm_i16x8_splat(0);
        const int16_t* tap = planes.data() + tap_offset[kk];
        const v128_t first = samples(tap + s.first);
        return s.split == kI8GemmNr ? first : wasm_v128_bitselect(first, samples(tap + s.second), s.from_first);
      };
      int16_t* dst = b.data.data() + p * pairs * kI8GemmNr * 2;
      for (int64_t q = 0; q < pairs; ++q, dst += kI8GemmNr * 2) {
        const v128_t even = row(2 * q), odd = row(2 * q + 1);
        wasm_v128_store(dst, wasm_i16x8_shuffle(even, odd, 0, 8, 1, 9, 2, 10, 3, 11));
        wasm_v128_store(dst + 8, wasm_i16x8_shuffle(even, odd, 4, 12, 5, 13, 6, 14, 7, 15));
      }
    }
  });
}

template void PackI8Patches(const uint8_t*, int64_t, const WindowGeometry&, int32_t, std::vector<int16_t>&, I8PackedB&);
template void PackI8Patches(const int8_t*, int64_t, const WindowGeometry&, int32_t, std::vector<int16_t>&, I8PackedB&);

}  // namespace qplay
