// ONNX Runtime's com.microsoft ops on weights in blocks of `bits`-wide values, packed low bits
// first, with one scale and (optionally packed) zero point per block; the default zero point
// is 2^(bits-1).
// MatMulNBits: Y = A x dequantize(B)^T (+ bias), B holding N rows of K weights in blocks of
// `block_size` along K. The dequantized weights of a constant B are made once per session.
// At accuracy_level 4 it computes as ONNX Runtime's CPU kernel does in int8: each block of a
// row of A is rounded to int8 at scale max|a| / 127 (half to even), and each block's integer
// dot product is scaled by the two scales.
// GatherBlockQuantized: rows of a uint8 table (gathered along axis 0, blocks along the last
// axis), dequantized.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/registry.h"

namespace qplay {
namespace {

struct NBitsShape {
  int64_t k, n, bits, block_size, blocks;
};

// Code j of the packed values at `row` (values packed low bits first, 8 / bits per byte).
int32_t Unpack(const uint8_t* row, int64_t j, int64_t bits) {
  const int64_t per_byte = 8 / bits;
  return (row[j / per_byte] >> ((j % per_byte) * bits)) & ((1 << bits) - 1);
}

// W as float [N, K].
Tensor Dequantize(const KernelContext& ctx, const NBitsShape& s) {
  const Tensor &b = ctx.in(1), &scales = ctx.in(2);
  const Tensor* zero_points = ctx.has(3) ? &ctx.in(3) : nullptr;
  const int64_t blob = s.block_size * s.bits / 8;
  const int64_t zp_row_bytes = (s.blocks * s.bits + 7) / 8;
  Tensor w(DataType::kFloat, {s.n, s.k});
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t block = 0; block < s.blocks; ++block) {
      const float scale = scales.data<float>()[n * s.blocks + block];
      const int32_t zp = zero_points ? Unpack(zero_points->data<uint8_t>() + n * zp_row_bytes, block, s.bits) : 1 << (s.bits - 1);
      const uint8_t* codes = b.data<uint8_t>() + (n * s.blocks + block) * blob;
      for (int64_t j = 0; j < s.block_size && block * s.block_size + j < s.k; ++j)
        w.data<float>()[n * s.k + block * s.block_size + j] = static_cast<float>(Unpack(codes, j, s.bits) - zp) * scale;
    }
  return w;
}

// B's codes less their zero points, [N, K], and the scales, [N, blocks]: the integer form.
struct IntegerBlocks {
  std::vector<int32_t> values;
  std::vector<float> scales;
};

IntegerBlocks IntegerWeights(const KernelContext& ctx, const NBitsShape& s) {
  const Tensor &b = ctx.in(1), &scales = ctx.in(2);
  const Tensor* zero_points = ctx.has(3) ? &ctx.in(3) : nullptr;
  const int64_t blob = s.block_size * s.bits / 8, zp_row_bytes = (s.blocks * s.bits + 7) / 8;
  IntegerBlocks w{std::vector<int32_t>(s.n * s.k), std::vector<float>(scales.data<float>(), scales.data<float>() + s.n * s.blocks)};
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t block = 0; block < s.blocks; ++block) {
      const int32_t zp = zero_points ? Unpack(zero_points->data<uint8_t>() + n * zp_row_bytes, block, s.bits) : 1 << (s.bits - 1);
      const uint8_t* codes = b.data<uint8_t>() + (n * s.blocks + block) * blob;
      for (int64_t j = 0; j < s.block_size && block * s.block_size + j < s.k; ++j)
        w.values[n * s.k + block * s.block_size + j] = Unpack(codes, j, s.bits) - zp;
    }
  return w;
}

// One row of A rounded to int8 per block, with each block's scale.
void QuantizeRowPerBlock(const float* a, const NBitsShape& s, std::vector<int32_t>& codes, std::vector<float>& scales) {
  for (int64_t block = 0; block < s.blocks; ++block) {
    const int64_t begin = block * s.block_size, end = std::min(s.k, begin + s.block_size);
    float amax = 0;
    for (int64_t k = begin; k < end; ++k) amax = std::max(amax, std::abs(a[k]));
    const float inverse = amax != 0 ? 127.0f / amax : 0.0f;
    scales[block] = amax / 127.0f;
    for (int64_t k = begin; k < end; ++k) codes[k] = static_cast<int32_t>(std::nearbyint(a[k] * inverse));
  }
}

void MultiplyInInt8(const Tensor& a, const IntegerBlocks& w, const NBitsShape& s, const float* bias, Tensor& y) {
  std::vector<int32_t> codes(s.k);
  std::vector<float> scales(s.blocks);
  const int64_t rows = s.k ? a.size() / s.k : 0;
  for (int64_t i = 0; i < rows; ++i) {
    QuantizeRowPerBlock(a.data<float>() + i * s.k, s, codes, scales);
    for (int64_t n = 0; n < s.n; ++n) {
      float acc = 0;
      for (int64_t block = 0; block < s.blocks; ++block) {
        int32_t dot = 0;
        for (int64_t k = block * s.block_size; k < std::min(s.k, (block + 1) * s.block_size); ++k) dot += codes[k] * w.values[n * s.k + k];
        acc += static_cast<float>(dot) * (scales[block] * w.scales[n * s.blocks + block]);
      }
      y.data<float>()[i * s.n + n] = bias ? acc + bias[n] : acc;
    }
  }
}

Status MatMulNBits(KernelContext& ctx) {
  const Tensor &a = ctx.in(0), &b = ctx.in(1), &scales = ctx.in(2);
  NBitsShape s{ctx.node.GetInt("K", 0), ctx.node.GetInt("N", 0), ctx.node.GetInt("bits", 4), ctx.node.GetInt("block_size", 0), 0};
  if (s.bits != 4 && s.bits != 8) return ctx.Unsupported("bits=", s.bits, " (4 and 8 are supported)");
  if (s.block_size < 16 || (s.block_size & (s.block_size - 1))) return ctx.Invalid("block_size ", s.block_size, " is not a power of 2 >= 16");
  if (ctx.has(4)) return ctx.Unsupported("g_idx (act-order) input");
  if (a.dtype() != DataType::kFloat || a.rank() < 1 || a.dim(a.rank() - 1) != s.k)
    return ctx.Invalid("A must be float32 [..., K=", s.k, "], got ", DataTypeName(a.dtype()), " ", ShapeToString(a.shape()));
  s.blocks = (s.k + s.block_size - 1) / s.block_size;
  if (b.dtype() != DataType::kUint8 || b.size() != s.n * s.blocks * s.block_size * s.bits / 8)
    return ctx.Invalid("B must be uint8 [N, blocks, block_size * bits / 8] = [", s.n, ", ", s.blocks, ", ", s.block_size * s.bits / 8,
                       "], got ", ShapeToString(b.shape()));
  if (scales.dtype() != DataType::kFloat || scales.size() != s.n * s.blocks)
    return ctx.Invalid("scales must hold N x blocks = ", s.n * s.blocks, " floats, got ", ShapeToString(scales.shape()));
  if (ctx.has(3) && (ctx.in(3).dtype() != DataType::kUint8 || ctx.in(3).size() != s.n * ((s.blocks * s.bits + 7) / 8)))
    return ctx.Unsupported("zero_points other than packed uint8 [N x ceil(blocks x bits / 8)]");
  const bool constant = ctx.constant(1) && ctx.constant(2) && (!ctx.has(3) || ctx.constant(3));
  Shape out_shape = a.shape();
  out_shape.back() = s.n;
  Tensor& y = ctx.Output(0, DataType::kFloat, out_shape);
  const float* bias = ctx.has(5) ? ctx.in(5).data<float>() : nullptr;
  if (ctx.node.GetInt("accuracy_level", 0) == 4) {
    MultiplyInInt8(a, *ctx.Derived<IntegerBlocks>(constant, [&] { return IntegerWeights(ctx, s); }), s, bias, y);
    return Status::Ok();
  }
  auto w = ctx.Derived<Tensor>(constant, [&] { return Dequantize(ctx, s); });
  const int64_t rows = s.k ? a.size() / s.k : 0;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t n = 0; n < s.n; ++n) {
      float acc = 0;
      for (int64_t k = 0; k < s.k; ++k) acc += a.data<float>()[i * s.k + k] * w->data<float>()[n * s.k + k];
      y.data<float>()[i * s.n + n] = bias ? acc + bias[n] : acc;
    }
  return Status::Ok();
}

Status GatherBlockQuantized(KernelContext& ctx) {
  const Tensor &data = ctx.in(0), &indices = ctx.in(1), &scales = ctx.in(2);
  const Tensor* zero_points = ctx.has(3) ? &ctx.in(3) : nullptr;
  const int64_t bits = ctx.node.GetInt("bits", 4), block_size = ctx.node.GetInt("block_size", 128);
  if (bits != 2 && bits != 4 && bits != 8) return ctx.Unsupported("bits=", bits, " (2, 4 and 8 are supported)");
  if (block_size < 16 || (block_size & (block_size - 1))) return ctx.Invalid("block_size ", block_size, " is not a power of 2 >= 16");
  if (data.dtype() != DataType::kUint8 || data.rank() < 2)
    return ctx.Unsupported("data of ", DataTypeName(data.dtype()), " ", ShapeToString(data.shape()), " (uint8 of rank 2 or more is supported)");
  if (indices.dtype() != DataType::kInt64 && indices.dtype() != DataType::kInt32)
    return ctx.Invalid("indices must be int32 or int64, got ", DataTypeName(indices.dtype()));
  const int64_t rank = data.rank();
  const int64_t gather_axis = ctx.node.GetInt("gather_axis", 0), quantize_axis = ctx.node.GetInt("quantize_axis", 1);
  if ((gather_axis != 0 && gather_axis != -rank) || (quantize_axis != rank - 1 && quantize_axis != -1))
    return ctx.Unsupported("gather_axis ", gather_axis, " and quantize_axis ", quantize_axis, ": uint8 data gathers along axis 0 ",
                           "and is quantized along its last axis");
  const int64_t per_byte = 8 / bits, width = data.dim(rank - 1) * per_byte, rows = data.dim(0);
  const int64_t lines_per_row = rows && width ? data.size() / rows / data.dim(rank - 1) : 0;
  const int64_t blocks = (width + block_size - 1) / block_size, zp_line_bytes = (blocks * bits + 7) / 8;
  if (scales.dtype() != DataType::kFloat || scales.size() != rows * lines_per_row * blocks)
    return ctx.Invalid("scales must hold one float per block, ", rows * lines_per_row * blocks, ", got ", DataTypeName(scales.dtype()), " ",
                       ShapeToString(scales.shape()));
  if (zero_points && (zero_points->dtype() != DataType::kUint8 || zero_points->size() != rows * lines_per_row * zp_line_bytes))
    return ctx.Invalid("zero_points must be uint8 packed like the data, ", rows * lines_per_row * zp_line_bytes, " bytes, got ",
                       ShapeToString(zero_points->shape()));
  Shape out_shape = indices.shape();
  out_shape.insert(out_shape.end(), data.shape().begin() + 1, data.shape().end());
  out_shape.back() = width;
  QPLAY_RETURN_IF_ERROR(ctx.CheckOutputSize(DataType::kFloat, out_shape));
  Tensor& y = ctx.Output(0, DataType::kFloat, out_shape);
  const int64_t line_bytes = data.dim(rank - 1);
  for (int64_t i = 0; i < indices.size(); ++i) {
    int64_t row = indices.dtype() == DataType::kInt64 ? indices.data<int64_t>()[i] : indices.data<int32_t>()[i];
    if (row < -rows || row >= rows) return ctx.Invalid("index ", row, " is out of range for ", rows, " rows");
    if (row < 0) row += rows;
    for (int64_t l = 0; l < lines_per_row; ++l) {
      const int64_t line = row * lines_per_row + l;
      const uint8_t* codes = data.data<uint8_t>() + line * line_bytes;
      float* out = y.data<float>() + (i * lines_per_row + l) * width;
      for (int64_t block = 0; block < blocks; ++block) {
        const int32_t zp = zero_points ? Unpack(zero_points->data<uint8_t>() + line * zp_line_bytes, block, bits) : 1 << (bits - 1);
        const float scale = scales.data<float>()[line * blocks + block];
        for (int64_t j = block * block_size; j < std::min(width, (block + 1) * block_size); ++j)
          out[j] = static_cast<float>(Unpack(codes, j, bits) - zp) * scale;
      }
    }
  }
  return Status::Ok();
}

}  // namespace

void RegisterBlockQuantizedKernels(KernelRegistry& r) {
  r.Add("MatMulNBits", MatMulNBits, "com.microsoft");
  r.Add("GatherBlockQuantized", GatherBlockQuantized, "com.microsoft");
}

}  // namespace qplay
