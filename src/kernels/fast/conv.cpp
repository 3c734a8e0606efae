// Fast Conv, FusedConv and QLinearConv for 2-D NCHW inputs. A grouped or dense convolution is a GEMM:
// the weights (rows: output channels) times the input patches of one image and group. Float
// patches of several taps are read in place, from the input or its phase planes
// (kernels/phase_planes.h), and pointwise ones packed into the GEMM's panel layout; 8-bit ones
// are packed from padded planes or gathered as bytes (im2col), and for the relaxed-SIMD GEMM
// packed from the phase planes. Depthwise convolutions run the SIMD depthwise kernels over each
// zero-padded channel plane. A float com.microsoft FusedConv applies its activation to each tile
// of output as it is computed. Other shapes and types go to the reference kernel.
#include <algorithm>
#include <memory>
#include <type_traits>

#include "kernels/conv_geometry.h"
#include "kernels/fused_activation.h"
#include "kernels/phase_planes.h"
#include "kernels/quant_math.h"
#include "kernels/registry.h"
#include "core/thread_pool.h"
#include "kernels/simd/depthwise.h"
#include "kernels/simd/f32_conv_implicit.h"
#include "kernels/simd/f32_gemm.h"
#include "kernels/simd/i8_gemm.h"
#include "kernels/simd/i8_gemm_relaxed.h"
#include "kernels/simd/i8_pack.h"
#include "kernels/simd/i8_patches.h"
#include "kernels/simd/simd.h"

namespace qplay {
namespace {

// The input samples behind the GEMM's B matrix: row kk = (channel, tap), column = output
// position. Visited as runs along output rows, whose samples are evenly spaced in the input;
// samples in the padding are skipped (the packed buffer starts zeroed).
class Patches {
 public:
  explicit Patches(const WindowGeometry& geometry) : g_(geometry) {
    const int64_t w = g_.input[1];
    for (int64_t kx = 0; kx < g_.kernel[1]; ++kx) {
      const int64_t shift = kx * g_.dilations[1] - g_.pad_begin[1];  // ix = ox * stride + shift
      int64_t begin = 0, end = g_.output[1];
      while (begin < end && begin * g_.strides[1] + shift < 0) ++begin;
      while (end > begin && (end - 1) * g_.strides[1] + shift >= w) --end;
      columns_.push_back({begin, end, shift});
    }
  }
  const WindowGeometry& geometry() const { return g_; }
  int64_t positions() const { return g_.output[0] * g_.output[1]; }
  int64_t taps() const { return g_.kernel[0] * g_.kernel[1]; }
  // A 1x1 convolution over every pixel: row kk of B is input plane kk itself.
  bool Pointwise() const {
    return taps() == 1 && g_.strides == Shape{1, 1} && g_.dilations == Shape{1, 1} && g_.pad_begin == Shape{0, 0} &&
           positions() == g_.input[0] * g_.input[1];
  }

  // Calls row(kk, first position, first input offset or -1, begin, end, input step) for each
  // output row in [row_begin, row_end) and each row kk of B from channels [channel_begin,
  // channel_end): positions are counted from the first of those rows; the row's output columns
  // [begin, end) sample the input from that offset on, the others (and every column when the
  // offset is -1) fall in the padding.
  template <typename Row>
  void ForEachRow(int64_t channel_begin, int64_t channel_end, int64_t row_begin, int64_t row_end, Row row) const {
    const int64_t h = g_.input[0], w = g_.input[1];
    for (int64_t c = channel_begin; c < channel_end; ++c)
      for (int64_t ky = 0; ky < g_.kernel[0]; ++ky)
        for (int64_t kx = 0; kx < g_.kernel[1]; ++kx) {
          const int64_t kk = (c * g_.kernel[0] + ky) * g_.kernel[1] + kx;
          const ColumnRange& cols = columns_[kx];
          for (int64_t oy = row_begin; oy < row_end; ++oy) {
            const int64_t iy = oy * g_.strides[0] + ky * g_.dilations[0] - g_.pad_begin[0];
            const bool inside = iy >= 0 && iy < h && cols.begin < cols.end;
            row(kk, (oy - row_begin) * g_.output[1], inside ? (c * h + iy) * w + cols.begin * g_.strides[1] + cols.shift : -1,
                cols.begin, cols.end, g_.strides[1]);
          }
        }
  }

  // Calls run(kk, first position, first input offset, count, input step) for each run of output
  // rows [row_begin, row_end) that samples the input, positions counted from the first of those rows.
  template <typename Run>
  void ForEachRun(int64_t channels, int64_t row_begin, int64_t row_end, Run run) const {
    ForEachRow(0, channels, row_begin, row_end, [&](int64_t kk, int64_t pos, int64_t at, int64_t begin, int64_t end, int64_t step) {
      if (at >= 0) run(kk, pos + begin, at, end - begin, step);
    });
  }

 private:
  struct ColumnRange {
    int64_t begin, end, shift;  // output columns whose sample for this kx is inside the input
  };
  const WindowGeometry& g_;
  std::vector<ColumnRange> columns_;
};

// Row kk of B at positions [pos, pos + count): x[at], x[at + step], ..., or zeros when x is null;
// a panel's lanes at a time.
void PutRun(F32PackedB& b, int64_t kk, int64_t pos, const float* x, int64_t at, int64_t count, int64_t step) {
  int64_t lane = pos % kF32GemmNr;
  float* dst = b.data.data() + ((pos / kF32GemmNr) * b.k + kk) * kF32GemmNr;
  while (count > 0) {
    const int64_t n = std::min(count, kF32GemmNr - lane);
    if (!x) std::fill_n(dst + lane, n, 0.0f);
    else if (step == 1) std::copy_n(x + at, n, dst + lane);
    else for (int64_t i = 0; i < n; ++i) dst[lane + i] = x[at + i * step];
    at += n * step, count -= n, lane = 0, dst += b.k * kF32GemmNr;
  }
}

// The patches of output rows [row_begin, row_end) as B, in `b` (its buffer reused). Every
// element is written once, samples and padding zeros alike, so the buffer is not cleared first.
// The threads take runs of channels, whose rows of B are disjoint.
void PackPatchesF32(const float* x, int64_t channels, const Patches& patches, int64_t row_begin, int64_t row_end, F32PackedB& b) {
  const int64_t width = patches.geometry().output[1], taps = patches.taps();
  b.k = channels * taps;
  b.n = (row_end - row_begin) * width;
  b.data.resize(static_cast<size_t>(b.panels() * b.k * kF32GemmNr));
  const int64_t full_panels = patches.Pointwise() ? b.n / kF32GemmNr : 0;
  const int64_t written = full_panels * kF32GemmNr;  // positions the pointwise panels hold
  ParallelFor(channels, GrainForWork(taps * b.n), [&](int64_t channel_begin, int64_t channel_end) {
    for (int64_t p = 0; p < full_panels; ++p)  // 8 consecutive pixels of each plane, two vectors
      for (int64_t kk = channel_begin * taps; kk < channel_end * taps; ++kk) {
        const float* src = x + kk * patches.positions() + row_begin * width + p * kF32GemmNr;
        float* dst = b.data.data() + (p * b.k + kk) * kF32GemmNr;
        wasm_v128_store(dst, wasm_v128_load(src));
        wasm_v128_store(dst + 4, wasm_v128_load(src + 4));
      }
    patches.ForEachRow(channel_begin, channel_end, row_begin, row_end,
                       [&](int64_t kk, int64_t row, int64_t at, int64_t begin, int64_t end, int64_t step) {
      if (at < 0) begin = end = width;
      // Three segments of the row: padding, samples, padding; each clipped to positions not yet written.
      const int64_t bounds[4] = {0, begin, end, width};
      for (int s = 0; s < 3; ++s) {
        const int64_t first = std::max(row + bounds[s], written), last = row + bounds[s + 1];
        if (first < last) PutRun(b, kk, first, s == 1 ? x : nullptr, at + (first - row - begin) * step, last - first, step);
      }
    });
    for (int64_t kk = channel_begin * taps; kk < channel_end * taps; ++kk)  // the last panel's tail
      PutRun(b, kk, b.n, nullptr, 0, b.panels() * kF32GemmNr - b.n, 0);
  });
}

// Scratch reused across the images of one call: the im2col bytes, or the padded int16 planes.
template <typename T>
struct PatchScratch {
  std::vector<T> columns;
  std::vector<int16_t> planes;
};

// The patches of one image and group as B: a pointwise convolution reads its input planes as
// B's rows; one stepping a column at a time over output rows of a panel or more is packed
// from padded planes (i8_patches.h); any other first gathers its patches into columns
// (im2col: row kk = channel and tap, one sample per output position, the zero point where
// the window leaves the image).
template <typename T>
void GatherPatches(const T* x, int64_t channels, const Patches& patches, int32_t zero_point, std::vector<T>& columns) {
  const int64_t n = patches.positions();
  columns.assign(static_cast<size_t>(channels * patches.taps() * n), static_cast<T>(zero_point));
  patches.ForEachRun(channels, 0, patches.geometry().output[0], [&](int64_t kk, int64_t pos, int64_t at, int64_t count, int64_t step) {
    T* dst = columns.data() + kk * n + pos;
    if (step == 1) CopyRun(dst, x + at, count);
    else for (int64_t i = 0; i < count; ++i) dst[i] = x[at + i * step];
  });
}

template <typename T>
void PackPatchesI8(const T* x, int64_t channels, const Patches& patches, int32_t zero_point, PatchScratch<T>& scratch,
                   I8PackedB& b) {
  const int64_t k = channels * patches.taps(), n = patches.positions();
  if (patches.Pointwise()) return PackI8Rows(x, k, n, zero_point, b);
  if (PacksPatchesDirectly(patches.geometry())) return PackI8Patches(x, channels, patches.geometry(), zero_point, scratch.planes, b);
  GatherPatches(x, channels, patches, zero_point, scratch.columns);
  PackI8Rows(scratch.columns.data(), k, n, zero_point, b);
}

bool PadsNegatively(const WindowGeometry& g) {
  for (const Shape* pads : {&g.pad_begin, &g.pad_end})
    for (int64_t pad : *pads)
      if (pad < 0) return true;
  return false;
}

// The same patches for the relaxed-SIMD GEMM, in the engine's reading of its operand (b.mode),
// read in place from x or from its phase planes (padded with the zero point).
template <typename T>
void PackPatchesI8(const T* x, int64_t channels, const Patches& patches, int32_t zero_point, PatchScratch<T>& scratch,
                   I8x4PackedB& b) {
  const int64_t k = channels * patches.taps(), n = patches.positions();
  if (patches.Pointwise()) return PackI8x4Rows(x, k, n, zero_point, b.mode, b);
  if (PadsNegatively(patches.geometry())) {
    GatherPatches(x, channels, patches, zero_point, scratch.columns);
    return PackI8x4Rows(scratch.columns.data(), k, n, zero_point, b.mode, b);
  }
  const PhasePlanes phases(patches.geometry());
  if (!phases.InPlace()) {
    phases.Fill(x, channels, static_cast<T>(zero_point), scratch.columns);
    x = scratch.columns.data();
  }
  PackI8x4InPlace(x, phases.Patches(channels), k, n, zero_point, b.mode, b);
}

bool IsDepthwise(const ConvShape& s) { return s.group == s.in_channels && s.out_channels == s.in_channels && s.group > 1; }

// A channel plane surrounded by zero padding, with the slack the depthwise kernels read past
// the end; returns the padded width. copy_row(y, dst) writes input row y's values. The
// buffer is zeroed only when its size changes: calls with one geometry write the same
// interior, so the padding stays zero.
template <typename T, typename CopyRow>
int64_t PadPlane(const WindowGeometry& g, CopyRow copy_row, std::vector<T>& padded) {
  const int64_t h = g.input[0];
  const int64_t ph = h + g.pad_begin[0] + g.pad_end[0], pw = g.input[1] + g.pad_begin[1] + g.pad_end[1];
  const size_t size = static_cast<size_t>(ph * pw + DepthwiseSlack(g));
  if (padded.size() != size) padded.assign(size, T{0});
  for (int64_t y = 0; y < h; ++y) copy_row(y, padded.data() + (y + g.pad_begin[0]) * pw + g.pad_begin[1]);
  return pw;
}

constexpr int64_t kPatchTileFloats = 1024 * 1024;

// A convolution as a GEMM whose patches are read in place from x or from its phase planes:
// nothing is packed. The threads take whole images and groups when there are several, else
// runs of output tiles.
template <typename Finish>
void ConvInPlace(KernelContext& ctx, const ConvShape& s, Tensor& y, Finish finish) {
  const Tensor &x = ctx.in(0), &w = ctx.in(1);
  const float* bias = ctx.has(2) ? ctx.in(2).data<float>() : nullptr;
  const WindowGeometry& g = s.window;
  const int64_t in_plane = g.input[0] * g.input[1], out_plane = g.output[0] * g.output[1];
  const int64_t cpg = s.in_channels / s.group, mpg = s.out_channels / s.group, k = cpg * NumElements(g.kernel);
  const auto weights = ctx.Derived<std::vector<F32RowQuads>>(ctx.constant(1), [&] {
    std::vector<F32RowQuads> groups;
    for (int64_t grp = 0; grp < s.group; ++grp) groups.push_back(PackF32RowQuads(w.data<float>() + grp * mpg * k, mpg, k));
    return groups;
  });
  const PhasePlanes phases(g);
  const InPlacePatches patches = phases.Patches(cpg);
  const int64_t tiles = patches.TilesPerRow() * (out_plane / patches.width);
  ParallelFor(s.batch * s.group, GrainForWork(mpg * k * out_plane), [&](int64_t first, int64_t last) {
    thread_local std::vector<float> padded;
    for (int64_t image_group = first; image_group < last; ++image_group) {
      const int64_t b = image_group / s.group, grp = image_group % s.group;
      const int64_t in_offset = (b * s.in_channels + grp * cpg) * in_plane;
      // The last tile reads 8 samples, past x's end when its row is short: then x is copied with slack.
      const float* source = x.data<float>() + in_offset;
      if (!phases.InPlace() || patches.ReadEnd(tiles) > x.size() - in_offset) {
        phases.Fill(source, cpg, 0.0f, padded);
        source = padded.data();
      }
      F32GemmParams params;
      params.row_bias = bias ? bias + grp * mpg : nullptr;
      const int64_t out_offset = (b * s.out_channels + grp * mpg) * out_plane;
      ParallelFor(tiles, GrainForWork(mpg * k * 8), [&](int64_t tile_begin, int64_t tile_end) {
        f32_conv_implicit_4x8__wasmsimd((*weights)[grp], source, patches, tile_begin, tile_end, y.data<float>() + out_offset, out_plane,
                                        params);
        const int64_t begin = patches.TileStart(tile_begin), end = patches.TileStart(tile_end);
        for (int64_t m = 0; m < mpg; ++m) finish(y, out_offset + m * out_plane + begin, end - begin);
      });
    }
    if (padded.capacity() > 16 * kPatchTileFloats) padded = {};  // a huge input's copy is not kept
  });
}

// Calls finish(y, offset, count) on each run of output elements as soon as they are computed
// (while they are in cache): FusedConv's sum and activation.
template <typename Finish>
Status ConvFloat(KernelContext& ctx, Finish finish) {
  const Tensor &x = ctx.in(0), &w = ctx.in(1);
  if (x.dtype() != DataType::kFloat || x.rank() != 4 || w.dtype() != DataType::kFloat) return RunReferenceKernel(ctx);
  auto planned = PlanConv(ctx, x, w);
  if (!planned.ok()) return planned.status();
  const ConvShape& s = *planned;
  const WindowGeometry& g = s.window;
  Tensor& y = ctx.OutputToOverwrite(0, DataType::kFloat, s.OutputShape());
  const float* bias = ctx.has(2) ? ctx.in(2).data<float>() : nullptr;
  const int64_t in_plane = g.input[0] * g.input[1], out_plane = g.output[0] * g.output[1];
  const int64_t cpg = s.in_channels / s.group, mpg = s.out_channels / s.group;
  if (IsDepthwise(s)) {  // the threads take runs of planes, each padding its own
    ParallelFor(s.batch * s.in_channels, GrainForWork(out_plane * NumElements(g.kernel)), [&](int64_t first, int64_t last) {
      std::vector<float> padded;
      for (int64_t plane_index = first; plane_index < last; ++plane_index) {
        const int64_t c = plane_index % s.in_channels;
        const float* plane = x.data<float>() + plane_index * in_plane;
        const int64_t width = g.input[1];
        const int64_t pw = PadPlane<float>(g, [&](int64_t y, float* dst) { std::copy_n(plane + y * width, width, dst); }, padded);
        const int64_t out_offset = plane_index * out_plane;  // depthwise: as many output channels as input ones
        f32_dwconv_4__wasmsimd(padded.data(), pw, g, w.data<float>() + c * NumElements(g.kernel), bias ? bias[c] : 0.0f,
                               y.data<float>() + out_offset);
        finish(y, out_offset, out_plane);
      }
    });
    return Status::Ok();
  }
  const Patches patches(g);
  // A window of several taps packs each sample that many times over, and a GEMM of 16 rows or
  // fewer uses each packed sample too few times to pay for the copy: those read their patches
  // in place. Other pointwise ones pack (a plain copy), after which the packed GEMM is faster.
  if ((patches.taps() > 1 || mpg <= 16) && !PadsNegatively(g)) {
    ConvInPlace(ctx, s, y, finish);
    return Status::Ok();
  }
  const int64_t k = cpg * patches.taps();
  // Output rows in tiles of about 4 MB of packed patches, not the whole image's (tens of MB on large inputs).
  const int64_t rows_per_tile = std::max<int64_t>(1, kPatchTileFloats / std::max<int64_t>(1, k * g.output[1]));
  // Kept across calls: growing a vector zero-fills it, which cost as much as packing.
  thread_local F32PackedB packed;
  // The threads take whole images and groups when there are several; else the packing and the
  // GEMM split theirs.
  ParallelFor(s.batch * s.group, GrainForWork(mpg * k * out_plane), [&](int64_t first, int64_t last) {
    for (int64_t image_group = first; image_group < last; ++image_group) {
      const int64_t b = image_group / s.group, grp = image_group % s.group;
      F32GemmParams params;
      params.row_bias = bias ? bias + grp * mpg : nullptr;
      for (int64_t row = 0; row < g.output[0]; row += rows_per_tile) {
        const int64_t row_end = std::min(g.output[0], row + rows_per_tile);
        const int64_t out_offset = (b * s.out_channels + grp * mpg) * out_plane + row * g.output[1];
        PackPatchesF32(x.data<float>() + (b * s.in_channels + grp * cpg) * in_plane, cpg, patches, row, row_end, packed);
        f32_gemm_4x8__wasmsimd(mpg, w.data<float>() + grp * mpg * k, k, packed, y.data<float>() + out_offset, out_plane, params);
        const int64_t run = (row_end - row) * g.output[1];
        ParallelFor(mpg, GrainForWork(run), [&](int64_t m_begin, int64_t m_end) {
          for (int64_t m = m_begin; m < m_end; ++m) finish(y, out_offset + m * out_plane, run);
        });
      }
      if (packed.data.capacity() > 2 * kPatchTileFloats) packed.data = {};  // one huge row's patches are not kept
    }
  });
  return Status::Ok();
}

Status Conv(KernelContext& ctx) {
  return ConvFloat(ctx, [](Tensor&, int64_t, int64_t) {});
}

// com.microsoft FusedConv: each run of outputs takes the activation in turn. A sum input Z
// (which qplay's optimizer never writes) goes to the reference kernel.
Status FusedConv(KernelContext& ctx) {
  if (ctx.has(3)) return RunReferenceKernel(ctx);
  auto activation = FusedActivation::Of(ctx.node);
  if (!activation.ok()) return activation.status();
  return ConvFloat(ctx, [&](Tensor& y, int64_t offset, int64_t count) { float* run = y.data<float>() + offset;
    activation->Apply(run, nullptr, run, count);
  });
}

// An 8-bit convolution's weights as GEMM rows: int16 minus their zero point, K padded to even.
struct WidenedWeights {
  std::vector<int16_t> rows;
  int64_t lda = 0;
};

std::shared_ptr<const WidenedWeights> Widen(KernelContext& ctx, const ConvShape& s, size_t w_input, size_t zp_input) {
  const Tensor& w = ctx.in(w_input);
  const Tensor* w_zp = ctx.has(zp_input) ? &ctx.in(zp_input) : nullptr;
  const int64_t k = (s.in_channels / s.group) * NumElements(s.window.kernel);
  return ctx.Derived<WidenedWeights>(ctx.constant(w_input) && (!w_zp || ctx.constant(zp_input)), [&] {
    WidenedWeights widened{std::vector<int16_t>(static_cast<size_t>(s.out_channels * EvenK(k)), 0), EvenK(k)};
    for (int64_t m = 0; m < s.out_channels; ++m)
      for (int64_t kk = 0; kk < k; ++kk)
        widened.rows[m * widened.lda + kk] = static_cast<int16_t>(LoadInt8(w, m * k + kk) - ZeroPointAt(w_zp, m));
    return widened;
  });
}

// The weights as rows of bytes for the relaxed-SIMD GEMM (i8_gemm_relaxed.h).
std::shared_ptr<const I8x4Rows> WeightBytes(KernelContext& ctx, const ConvShape& s, size_t w_input, size_t zp_input) {
  const Tensor& w = ctx.in(w_input);
  const Tensor* w_zp = ctx.has(zp_input) ? &ctx.in(zp_input) : nullptr;
  const int64_t k = (s.in_channels / s.group) * NumElements(s.window.kernel);
  return ctx.Derived<I8x4Rows>(ctx.constant(w_input) && (!w_zp || ctx.constant(zp_input)), [&] {
    std::vector<int32_t> zero_points(static_cast<size_t>(s.out_channels));
    for (int64_t m = 0; m < s.out_channels; ++m) zero_points[m] = ZeroPointAt(w_zp, m);
    I8x4Rows rows;
    if (w.dtype() == DataType::kUint8) ToI8x4Rows(w.data<uint8_t>(), s.out_channels, k, zero_points.data(), 1, rows);
    else ToI8x4Rows(w.data<int8_t>(), s.out_channels, k, zero_points.data(), 1, rows);
    return rows;
  });
}

// One group's weights (mpg rows from `first_row`) times its packed patches, on either GEMM.
void GroupGemm(int64_t mpg, const WidenedWeights& weights, int64_t first_row, const I8PackedB& patches, const I8GemmOutput& out) {
  i8_gemm_4x8__wasmsimd_dot16(mpg, weights.rows.data() + first_row * weights.lda, weights.lda, patches, out);
}

void GroupGemm(int64_t mpg, const I8x4Rows& weights, int64_t first_row, const I8x4PackedB& patches, const I8GemmOutput& out) {
  i8_gemm_4x8__wasmrelaxed(mpg, ViewFrom(weights, first_row), patches, out);
}

// y = weights x patches per image and group, through the 8-bit GEMM whose layouts Weights and
// PackedB are; `out` says how the accumulators are stored (requantized per output channel, or
// as int32).
template <typename PackedB, typename Weights>
void IntegerConvGemm(const ConvShape& s, const Tensor& x, int32_t x_zp, const Weights& weights, Tensor& y, I8GemmOutput out) {
  const WindowGeometry& g = s.window;
  const int64_t in_plane = g.input[0] * g.input[1], out_plane = g.output[0] * g.output[1];
  const int64_t cpg = s.in_channels / s.group, mpg = s.out_channels / s.group;
  const int64_t out_bytes = static_cast<int64_t>(ElementSize(y.dtype()));
  const Patches patches(g);
  const int32_t* bias = out.row_bias;
  const float* scale = out.scale;
  // The threads take whole images and groups when there are several; else the packing and the
  // GEMM split theirs.
  ParallelFor(s.batch * s.group, GrainForWork(mpg * cpg * patches.taps() * out_plane), [&](int64_t first, int64_t last) {
    PackedB packed;
    PatchScratch<uint8_t> scratch_u8;
    PatchScratch<int8_t> scratch_i8;
    I8GemmOutput part = out;
    for (int64_t image_group = first; image_group < last; ++image_group) {
      const int64_t b = image_group / s.group, grp = image_group % s.group;
      const int64_t offset = (b * s.in_channels + grp * cpg) * in_plane;
      if (x.dtype() == DataType::kUint8) PackPatchesI8(x.data<uint8_t>() + offset, cpg, patches, x_zp, scratch_u8, packed);
      else PackPatchesI8(x.data<int8_t>() + offset, cpg, patches, x_zp, scratch_i8, packed);
      part.data = y.raw() + (b * s.out_channels + grp * mpg) * out_plane * out_bytes;
      part.ldc = out_plane;
      part.row_bias = bias ? bias + grp * mpg : nullptr;
      part.scale = scale ? scale + grp * mpg : nullptr;
      GroupGemm(mpg, weights, grp * mpg, packed, part);
    }
  });
}

// The convolution on the GEMM that runs here: relaxed SIMD's 8-bit dot product where the engine
// reads it exactly, else i32x4.dot_i16x8_s; weights from inputs w_input and zp_input.
void IntegerConv(KernelContext& ctx, const ConvShape& s, size_t w_input, size_t zp_input, const Tensor& x, int32_t x_zp, Tensor& y,
                 const I8GemmOutput& out) {
  if (RelaxedDot() == RelaxedDotMode::kNone) return IntegerConvGemm<I8PackedB>(s, x, x_zp, *Widen(ctx, s, w_input, zp_input), y, out);
  IntegerConvGemm<I8x4PackedB>(s, x, x_zp, *WeightBytes(ctx, s, w_input, zp_input), y, out);
}

// A depthwise QLinearConv: each channel plane, minus the input zero point and padded with
// zeros, through the SIMD depthwise kernel.
template <typename T>
void DepthwiseQLinear(const ConvShape& s, const T* x, int32_t x_zp, const WidenedWeights& weights, const int32_t* bias,
                      const std::vector<float>& multiplier, int32_t out_zp, Tensor& y) {
  const WindowGeometry& g = s.window;
  const int64_t in_plane = g.input[0] * g.input[1], out_plane = g.output[0] * g.output[1];
  const int64_t out_bytes = static_cast<int64_t>(ElementSize(y.dtype()));
  // The threads take runs of planes, each padding its own.
  ParallelFor(s.batch * s.in_channels, GrainForWork(out_plane * NumElements(g.kernel)), [&](int64_t first, int64_t last) {
    std::vector<int16_t> padded;
    for (int64_t plane_index = first; plane_index < last; ++plane_index) {
      const int64_t c = plane_index % s.in_channels;
      const T* plane = x + plane_index * in_plane;
      const int64_t w = g.input[1];
      const int64_t pw = PadPlane<int16_t>(g, [&](int64_t y, int16_t* dst) { WidenRun(plane + y * w, w, x_zp, dst); }, padded);
      i16_dwconv_8__wasmsimd(padded.data(), pw, g, weights.rows.data() + c * weights.lda, bias ? bias[c] : 0, multiplier[c], out_zp,
                             y.dtype(), y.raw() + plane_index * out_plane * out_bytes);
    }
  });
}

Status QLinearConv(KernelContext& ctx) {
  const Tensor &x = ctx.in(0), &w = ctx.in(3), &y_zp = ctx.in(7);
  if (!Is8Bit(x) || !Is8Bit(w) || !Is8Bit(y_zp) || x.rank() != 4) return RunReferenceKernel(ctx);
  auto planned = PlanConv(ctx, x, w);
  if (!planned.ok()) return planned.status();
  const ConvShape& s = *planned;
  const Tensor& w_scale = ctx.in(4);
  const float x_scale = ctx.in(1).data<float>()[0], y_scale = ctx.in(6).data<float>()[0];
  const int32_t x_zp = ZeroPointAt(&ctx.in(2), 0), out_zp = ZeroPointAt(&y_zp, 0);
  const int32_t* bias = ctx.has(8) ? ctx.in(8).data<int32_t>() : nullptr;
  std::vector<float> multiplier(static_cast<size_t>(s.out_channels));
  for (int64_t m = 0; m < s.out_channels; ++m)
    multiplier[m] = x_scale * w_scale.data<float>()[w_scale.size() == 1 ? 0 : m] / y_scale;
  Tensor& y = ctx.OutputToOverwrite(0, y_zp.dtype(), s.OutputShape());
  if (IsDepthwise(s)) {
    auto weights = Widen(ctx, s, 3, 5);
    if (x.dtype() == DataType::kUint8) DepthwiseQLinear(s, x.data<uint8_t>(), x_zp, *weights, bias, multiplier, out_zp, y);
    else DepthwiseQLinear(s, x.data<int8_t>(), x_zp, *weights, bias, multiplier, out_zp, y);
    return Status::Ok();
  }
  I8GemmOutput out;
  out.type = y.dtype();
  out.row_bias = bias;
  out.scale = multiplier.data();
  out.scale_per_row = true;
  out.zero_point = out_zp;
  IntegerConv(ctx, s, 3, 5, x, x_zp, y, out);
  return Status::Ok();
}

// ConvInteger: the same GEMM, accumulators stored as int32 (x_zero_point per tensor only).
Status ConvInteger(KernelContext& ctx) {
  const Tensor &x = ctx.in(0), &w = ctx.in(1);
  if (!Is8Bit(x) || !Is8Bit(w) || x.rank() != 4 || (ctx.has(2) && ctx.in(2).size() != 1)) return RunReferenceKernel(ctx);
  auto planned = PlanConv(ctx, x, w);
  if (!planned.ok()) return planned.status();
  Tensor& y = ctx.OutputToOverwrite(0, DataType::kInt32, planned->OutputShape());
  I8GemmOutput out;
  out.type = DataType::kInt32;
  IntegerConv(ctx, *planned, 1, 3, x, ZeroPointAt(ctx.has(2) ? &ctx.in(2) : nullptr, 0), y, out);
  return Status::Ok();
}

}  // namespace

void RegisterFastConvKernels(KernelRegistry& r) {
  r.Add("Conv", Conv, "", KernelVariant::kFast);
  r.Add("FusedConv", FusedConv, "com.microsoft", KernelVariant::kFast);
  r.Add("QLinearConv", QLinearConv, "", KernelVariant::kFast);
  r.Add("ConvInteger", ConvInteger, "", KernelVariant::kFast);
}

}  // namespace qplay
