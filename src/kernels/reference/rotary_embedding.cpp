// ONNX Runtime's com.microsoft RotaryEmbedding, as its CPU kernel computes it. The input is
// [batch, sequence, heads x head size] or [batch, heads, sequence, head size]; for each token
// and head, value i < rotary_embedding_dim becomes x[i] cos - x[j] sin (first of a pair) or
// x[i] cos + x[j] sin (second), where the pairs are (i, i + dim/2) or, interleaved, (2k, 2k + 1),
// and cos and sin are the caches' row at the token's position: position_ids[b, s], or
// position_ids[0] + s when it holds one value. The values past rotary_embedding_dim are copied.
#include "kernels/registry.h"

namespace qplay {
namespace {

Status RotaryEmbedding(KernelContext& ctx) {
  const Tensor &x = ctx.in(0), &positions = ctx.in(1), &cos = ctx.in(2), &sin = ctx.in(3);
  if (ctx.node.GetInt("is_packed_batching", 0)) return ctx.Unsupported("is_packed_batching=1");
  if (x.dtype() != DataType::kFloat) return ctx.Unsupported("input of ", DataTypeName(x.dtype()), " (float32 is supported)");
  if (x.rank() != 3 && x.rank() != 4) return ctx.Invalid("input must be [B, S, hidden] or [B, N, S, H], got ", ShapeToString(x.shape()));
  if (cos.rank() != 2 || sin.shape() != cos.shape())
    return ctx.Unsupported("cos_cache ", ShapeToString(cos.shape()), " and sin_cache ", ShapeToString(sin.shape()),
                           " other than one [max positions, rotary dim / 2] each");
  const int64_t requested = ctx.node.GetInt("rotary_embedding_dim", 0), half = cos.dim(1);
  if (requested && !ctx.node.GetInt("num_heads", 0)) return ctx.Invalid("rotary_embedding_dim needs num_heads, as ONNX Runtime requires");
  const int64_t rotary = requested ? requested : 2 * half;
  if (rotary != 2 * half) return ctx.Invalid("rotary_embedding_dim ", rotary, " needs caches of ", rotary / 2, " columns, got ", half);
  const bool bnsh = x.rank() == 4;
  const int64_t batch = x.dim(0), sequence = bnsh ? x.dim(2) : x.dim(1);
  int64_t heads = bnsh ? x.dim(1) : ctx.node.GetInt("num_heads", 0);
  if (!bnsh && heads == 0) heads = rotary ? x.dim(2) / rotary : 0;
  if (heads <= 0 || (!bnsh && x.dim(2) % heads)) return ctx.Invalid("num_heads ", heads, " must divide the hidden size ", x.dim(2));
  const int64_t head_size = bnsh ? x.dim(3) : x.dim(2) / heads;
  if (rotary > head_size || rotary == 0) return ctx.Invalid("rotary dim ", rotary, " must be positive and within the head size ", head_size);
  const bool one_start = positions.size() == 1;
  if (!one_start && positions.shape() != Shape{batch, sequence})
    return ctx.Invalid("position_ids must be [1] or [", batch, ", ", sequence, "], got ", ShapeToString(positions.shape()));
  const bool interleaved = ctx.node.GetInt("interleaved", 0) != 0;
  Tensor& y = ctx.Output(0, DataType::kFloat, x.shape());
  const float *in = x.data<float>(), *cos_rows = cos.data<float>(), *sin_rows = sin.data<float>();
  float* out = y.data<float>();
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t s = 0; s < sequence; ++s) {
      const int64_t position = one_start ? positions.GetAsInt64(0) + s : positions.GetAsInt64(b * sequence + s);
      if (position < 0 || position >= cos.dim(0))
        return ctx.Invalid("position ", position, " of batch ", b, ", token ", s, " is outside the caches' ", cos.dim(0), " rows");
      const float *c = cos_rows + position * half, *sn = sin_rows + position * half;
      for (int64_t n = 0; n < heads; ++n) {
        const int64_t offset = bnsh ? ((b * heads + n) * sequence + s) * head_size : ((b * sequence + s) * heads + n) * head_size;
        const float* v = in + offset;
        float* o = out + offset;
        for (int64_t i = 0; i < rotary; ++i) {
          const int64_t k = interleaved ? i / 2 : i % half;
          const bool first = interleaved ? i % 2 == 0 : i < half;
          const int64_t partner = interleaved ? (first ? i + 1 : i - 1) : (i + half) % rotary;
          o[i] = v[i] * c[k] + (first ? -1.0f : 1.0f) * v[partner] * sn[k];
        }
        for (int64_t i = rotary; i < head_size; ++i) o[i] = v[i];
      }
    }
  return Status::Ok();
}

}  // namespace

void RegisterRotaryEmbeddingKernels(KernelRegistry& r) { r.Add("RotaryEmbedding", RotaryEmbedding, "com.microsoft"); }

}  // namespace qplay
