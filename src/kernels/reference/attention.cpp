// ONNX Runtime's com.microsoft Attention, QAttention and MultiHeadAttention, as its CPU kernels
// compute them: Q, K and V projected from one input (QAttention: an integer product of the 8-bit
// input and weights, scaled by input_scale x weight_scale, plus the float bias), or given
// already projected (MultiHeadAttention, keys from another sequence possibly, after a key/value
// cache possibly), then per head softmax(scale x Q K^T + mask + attention_bias) V with the heads
// side by side. The mask adds mask_filter_value (-10000 by default) where a key is hidden: past a
// sequence's end (mask_index [B]), or before its start too ([2B]), where a raw mask [B, T] or
// [B, S, T] holds 0, and past the query with unidirectional=1. Attention's and QAttention's past
// and rotary embeddings are not run.
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "kernels/quant_math.h"
#include "kernels/registry.h"

namespace qplay {
namespace {

struct AttentionShape {
  int64_t batch = 0, sequence = 0, input_hidden = 0, heads = 0;
  int64_t q_hidden = 0, k_hidden = 0, v_hidden = 0;
  int64_t kv_sequence = 0;  // keys and values per batch entry (the query's sequence in self-attention)
  int64_t columns() const { return q_hidden + k_hidden + v_hidden; }
};

// Where one of Q, K and V is: head h of row i of batch entry b starts at data + b * batch + i * row
// + h * head, whether the heads sit side by side in each row ([B, S, N x H]) or apart ([B, N, S, H]).
struct Layout {
  const float* data;
  int64_t batch, row, head;
  const float* At(int64_t b, int64_t i, int64_t h) const { return data + b * batch + i * row + h * head; }
  static Layout HeadsSideBySide(const float* data, int64_t length, int64_t row, int64_t head_size) {
    return {data, length * row, row, head_size};
  }
  static Layout HeadsApart(const float* data, int64_t heads, int64_t length, int64_t head_size) {
    return {data, heads * length * head_size, head_size, length * head_size};
  }
};

struct Projections {
  Layout q, k, v;
};

Result<AttentionShape> ReadShape(const KernelContext& ctx, const Tensor& input, const Tensor& weights) {
  if (ctx.node.GetInt("do_rotary", 0)) return ctx.Unsupported("do_rotary=1");
  if (ctx.node.outputs.size() > 1 && !ctx.node.outputs[1].empty()) return ctx.Unsupported("the present output (a key/value cache)");
  AttentionShape s;
  s.heads = ctx.node.GetInt("num_heads", 0);
  if (input.rank() != 3) return ctx.Invalid("input must be [batch, sequence, hidden], got ", ShapeToString(input.shape()));
  s.batch = input.dim(0), s.sequence = input.dim(1), s.input_hidden = input.dim(2);
  if (weights.rank() != 2 || weights.dim(0) != s.input_hidden)
    return ctx.Invalid("weights must be [", s.input_hidden, ", Q + K + V hidden sizes], got ", ShapeToString(weights.shape()));
  const std::vector<int64_t> sizes = ctx.node.GetInts("qkv_hidden_sizes", {weights.dim(1) / 3, weights.dim(1) / 3, weights.dim(1) / 3});
  if (sizes.size() != 3 || sizes[0] + sizes[1] + sizes[2] != weights.dim(1) || sizes[0] != sizes[1])
    return ctx.Invalid("qkv_hidden_sizes must be three sizes, Q's equal to K's, that add up to the weights' ", weights.dim(1), " columns");
  s.q_hidden = sizes[0], s.k_hidden = sizes[1], s.v_hidden = sizes[2];
  s.kv_sequence = s.sequence;
  if (s.heads < 1 || s.q_hidden % s.heads || s.v_hidden % s.heads || s.q_hidden == 0)
    return ctx.Invalid("num_heads ", s.heads, " must divide the hidden sizes ", s.q_hidden, " and ", s.v_hidden);
  // The projections and the mask are held whole: within the tensor budget, as outputs are.
  QPLAY_RETURN_IF_ERROR(ctx.CheckOutputSize(DataType::kFloat, {s.batch, s.sequence, s.columns()}));
  QPLAY_RETURN_IF_ERROR(ctx.CheckOutputSize(DataType::kFloat, {s.batch, s.sequence, s.sequence}));
  return s;
}

// The additive mask [batch, sequence, keys]: 0 where a key is seen, mask_filter_value where not.
Result<std::vector<float>> Mask(const KernelContext& ctx, const AttentionShape& s, size_t mask_input) {
  const int64_t b_count = s.batch, q_len = s.sequence, k_len = s.kv_sequence;
  const float hidden = ctx.node.GetFloat("mask_filter_value", -10000.0f);
  std::vector<float> mask(b_count * q_len * k_len, 0.0f);
  auto hide = [&](int64_t b, int64_t i, int64_t j) { mask[(b * q_len + i) * k_len + j] = hidden; };
  if (ctx.has(mask_input)) {
    const Tensor& m = ctx.in(mask_input);
    if (m.dtype() != DataType::kInt32) return ctx.Invalid("mask_index must be int32, got ", DataTypeName(m.dtype()));
    const int32_t* v = m.data<int32_t>();
    const bool lengths = m.rank() == 1 && (m.dim(0) == b_count || m.dim(0) == 2 * b_count);
    const bool raw = (m.rank() == 2 && m.shape() == Shape{b_count, k_len}) || (m.rank() == 3 && m.shape() == Shape{b_count, q_len, k_len});
    if (!lengths && !raw)
      return ctx.Unsupported("mask_index of shape ", ShapeToString(m.shape()), " (expected [", b_count, "], [", 2 * b_count, "], [", b_count,
                             ", ", k_len, "] or [", b_count, ", ", q_len, ", ", k_len, "])");
    for (int64_t b = 0; b < b_count; ++b)
      for (int64_t i = 0; i < q_len; ++i)
        for (int64_t j = 0; j < k_len; ++j) {
          bool seen;
          if (lengths) seen = j < v[b] && (m.dim(0) == b_count || j >= v[b_count + b]);
          else seen = (m.rank() == 2 ? v[b * k_len + j] : v[(b * q_len + i) * k_len + j]) != 0;
          if (!seen) hide(b, i, j);
        }
  }
  if (ctx.node.GetInt("unidirectional", 0))
    for (int64_t b = 0; b < b_count; ++b)
      for (int64_t i = 0; i < q_len; ++i)
        for (int64_t j = i + 1 + (k_len - q_len); j < k_len; ++j) hide(b, i, j);
  return mask;
}

// The projections of packed rows [batch * sequence, Q | K | V columns].
Projections Packed(const std::vector<float>& qkv, const AttentionShape& s) {
  const int64_t cols = s.columns(), hq = s.q_hidden / s.heads, hv = s.v_hidden / s.heads;
  return {Layout::HeadsSideBySide(qkv.data(), s.sequence, cols, hq),
          Layout::HeadsSideBySide(qkv.data() + s.q_hidden, s.sequence, cols, hq),
          Layout::HeadsSideBySide(qkv.data() + s.q_hidden + s.k_hidden, s.sequence, cols, hv)};
}

// softmax(scale Q K^T + mask + bias) V per head, the heads side by side in the output.
Status AttendOverHeads(KernelContext& ctx, const Projections& p, const AttentionShape& s, size_t mask_input,
                       const Tensor* attention_bias) {
  auto mask = Mask(ctx, s, mask_input);
  if (!mask.ok()) return mask.status();
  const int64_t n = s.heads, hq = s.q_hidden / n, hv = s.v_hidden / n, len = s.sequence, keys = s.kv_sequence;
  if (attention_bias) {
    const Tensor& ab = *attention_bias;
    const bool fits = ab.rank() == 4 && (ab.dim(0) == 1 || ab.dim(0) == s.batch) && (ab.dim(1) == 1 || ab.dim(1) == n) &&
                      ab.dim(2) == len && ab.dim(3) == keys && ab.dtype() == DataType::kFloat;
    if (!fits)
      return ctx.Invalid("attention_bias must be float [1 or ", s.batch, ", 1 or ", n, ", ", len, ", ", keys, "], got ", ShapeToString(ab.shape()));
  }
  const float scale = ctx.node.GetFloat("scale", 1.0f / std::sqrt(static_cast<float>(hq)));
  QPLAY_RETURN_IF_ERROR(ctx.CheckOutputSize(DataType::kFloat, {s.batch, len, s.v_hidden}));
  Tensor& y = ctx.Output(0, DataType::kFloat, {s.batch, len, s.v_hidden});
  std::vector<float> weight(keys);
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t h = 0; h < n; ++h)
      for (int64_t i = 0; i < len; ++i) {
        const float* q = p.q.At(b, i, h);
        float max = -std::numeric_limits<float>::infinity();
        for (int64_t j = 0; j < keys; ++j) {
          const float* k = p.k.At(b, j, h);
          float dot = 0;
          for (int64_t d = 0; d < hq; ++d) dot += q[d] * k[d];
          weight[j] = scale * dot + (*mask)[(b * len + i) * keys + j];
          if (attention_bias) {
            const Tensor& ab = *attention_bias;
            weight[j] += ab.data<float>()[(((ab.dim(0) == 1 ? 0 : b) * ab.dim(1) + (ab.dim(1) == 1 ? 0 : h)) * len + i) * keys + j];
          }
          max = std::max(max, weight[j]);
        }
        float sum = 0;
        for (int64_t j = 0; j < keys; ++j) sum += weight[j] = std::exp(weight[j] - max);
        float* out = y.data<float>() + (b * len + i) * s.v_hidden + h * hv;
        for (int64_t d = 0; d < hv; ++d) out[d] = 0;
        for (int64_t j = 0; j < keys; ++j) {
          const float* v = p.v.At(b, j, h);
          for (int64_t d = 0; d < hv; ++d) out[d] += weight[j] / sum * v[d];
        }
      }
  return Status::Ok();
}

Status Attention(KernelContext& ctx) {
  const Tensor &input = ctx.in(0), &weights = ctx.in(1);
  auto s = ReadShape(ctx, input, weights);
  if (!s.ok()) return s.status();
  if (ctx.has(4)) return ctx.Unsupported("past (a key/value cache)");
  if (input.dtype() != DataType::kFloat || weights.dtype() != DataType::kFloat)
    return ctx.Unsupported("input and weights of ", DataTypeName(input.dtype()), " (float32 is supported)");
  const Tensor* bias = ctx.has(2) ? &ctx.in(2) : nullptr;
  if (bias && bias->size() != s->columns()) return ctx.Invalid("bias must hold ", s->columns(), " values, got ", ShapeToString(bias->shape()));
  const int64_t rows = s->batch * s->sequence, cols = s->columns();
  std::vector<float> qkv(rows * cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      float acc = 0;
      for (int64_t k = 0; k < s->input_hidden; ++k) acc += input.data<float>()[r * s->input_hidden + k] * weights.data<float>()[k * cols + c];
      qkv[r * cols + c] = bias ? acc + bias->data<float>()[c] : acc;
    }
  return AttendOverHeads(ctx, Packed(qkv, *s), *s, 3, ctx.has(5) ? &ctx.in(5) : nullptr);
}

// QAttention(input, weight, bias, input_scale, weight_scale, mask_index, input_zero_point,
// weight_zero_point, past): weight_scale and weight_zero_point per tensor or per column.
Status QAttention(KernelContext& ctx) {
  const Tensor &input = ctx.in(0), &weights = ctx.in(1), &bias = ctx.in(2), &input_scale = ctx.in(3), &weight_scale = ctx.in(4);
  auto s = ReadShape(ctx, input, weights);
  if (!s.ok()) return s.status();
  if (ctx.has(8)) return ctx.Unsupported("past (a key/value cache)");
  if (!Is8Bit(input) || !Is8Bit(weights))
    return ctx.Unsupported("input and weight of ", DataTypeName(input.dtype()), " and ", DataTypeName(weights.dtype()), " (8-bit is supported)");
  const int64_t rows = s->batch * s->sequence, cols = s->columns();
  const Tensor* input_zp = ctx.has(6) ? &ctx.in(6) : nullptr;
  const Tensor* weight_zp = ctx.has(7) ? &ctx.in(7) : nullptr;
  if (bias.dtype() != DataType::kFloat || bias.size() != cols) return ctx.Invalid("bias must be ", cols, " floats, got ", ShapeToString(bias.shape()));
  if (input_scale.dtype() != DataType::kFloat || input_scale.size() != 1) return ctx.Invalid("input_scale must be one float");
  if (weight_scale.dtype() != DataType::kFloat || (weight_scale.size() != 1 && weight_scale.size() != cols))
    return ctx.Invalid("weight_scale must be one float or one per column (", cols, "), got ", ShapeToString(weight_scale.shape()));
  if ((input_zp && input_zp->size() != 1) || (weight_zp && weight_zp->size() != 1 && weight_zp->size() != cols))
    return ctx.Invalid("input_zero_point must be one value and weight_zero_point one or one per column");
  const int32_t x_zp = ZeroPointAt(input_zp, 0);
  const float x_scale = input_scale.data<float>()[0];
  std::vector<float> qkv(rows * cols);
  for (int64_t c = 0; c < cols; ++c) {
    const int32_t w_zp = ZeroPointAt(weight_zp, weight_zp && weight_zp->size() > 1 ? c : 0);
    const float product_scale = x_scale * weight_scale.data<float>()[weight_scale.size() > 1 ? c : 0];
    for (int64_t r = 0; r < rows; ++r) {
      int64_t acc = 0;  // int32 in ONNX Runtime, which the products of 8-bit values fill only past 33,000 inputs
      for (int64_t k = 0; k < s->input_hidden; ++k)
        acc += (LoadInt8(input, r * s->input_hidden + k) - x_zp) * (LoadInt8(weights, k * cols + c) - w_zp);
      qkv[r * cols + c] = static_cast<float>(acc) * product_scale + bias.data<float>()[c];
    }
  }
  return AttendOverHeads(ctx, Packed(qkv, *s), *s, 5, nullptr);
}

// Q, K or V [B, L, D] plus its part of the bias (which `bias` points at).
std::vector<float> Biased(const Tensor& t, const float* bias) {
  std::vector<float> biased(t.data<float>(), t.data<float>() + t.size());
  const int64_t width = t.dim(2);
  for (size_t i = 0; i < biased.size(); ++i) biased[i] += bias[static_cast<int64_t>(i) % width];
  return biased;
}

// The cache [B, N, past + L, H]: `past` (absent: none) then the new rows, head by head.
Tensor Present(const Tensor* past, const Layout& added, const AttentionShape& s, int64_t head_size) {
  const int64_t before = past ? past->dim(2) : 0, total = before + s.kv_sequence;
  Tensor present(DataType::kFloat, {s.batch, s.heads, total, head_size});
  float* out = present.data<float>();
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t h = 0; h < s.heads; ++h) {
      float* rows = out + (b * s.heads + h) * total * head_size;
      if (past) std::copy_n(past->data<float>() + (b * s.heads + h) * before * head_size, before * head_size, rows);
      for (int64_t j = 0; j < s.kv_sequence; ++j) std::copy_n(added.At(b, j, h), head_size, rows + (before + j) * head_size);
    }
  return present;
}

// MultiHeadAttention(query [B, S, D], key, value, bias [2D + Dv], key_padding_mask, attention_bias,
// past_key, past_value), as ONNX Runtime's CPU kernel takes them: key [B, L, D] and value
// [B, L, Dv] (the bias added to Q, K and V), or key and value per head [B, N, L, H] (a cross-
// attention cache, without bias or past). past_key and past_value [B, N, P, H] come before the new
// keys and values; present_key and present_value return the whole cache [B, N, P + L, H].
Status MultiHeadAttention(KernelContext& ctx) {
  const Tensor& query = ctx.in(0);
  if (query.rank() != 3)
    return ctx.Unsupported("a query of shape ", ShapeToString(query.shape()), " (packed Q, K and V, which ONNX Runtime's CPU kernel refuses too); qplay takes [batch, sequence, hidden]");
  if (!ctx.has(1) || !ctx.has(2) || ctx.in(1).rank() != ctx.in(2).rank() || (ctx.in(1).rank() != 3 && ctx.in(1).rank() != 4))
    return ctx.Unsupported("key and value other than [batch, keys, hidden] or [batch, heads, keys, head size] each (packed K and V, which ONNX Runtime's CPU kernel refuses too)");
  if (ctx.has(8) || ctx.has(9)) return ctx.Unsupported("past_sequence_length and cache_indirection (decoder masked attention)");
  if (ctx.wants(3)) return ctx.Unsupported("the qk output");
  const Tensor &key = ctx.in(1), &value = ctx.in(2);
  const Tensor* past_key = ctx.has(6) ? &ctx.in(6) : nullptr;
  const Tensor* past_value = ctx.has(7) ? &ctx.in(7) : nullptr;
  for (const Tensor* t : {&query, &key, &value, past_key, past_value})
    if (t && t->dtype() != DataType::kFloat) return ctx.Unsupported("query, key, value and past of ", DataTypeName(t->dtype()), " (float32 is supported)");
  const bool per_head = key.rank() == 4;
  AttentionShape s;
  s.heads = ctx.node.GetInt("num_heads", 0);
  s.batch = query.dim(0), s.sequence = query.dim(1), s.q_hidden = s.k_hidden = query.dim(2);
  if (s.heads < 1 || s.q_hidden % s.heads || s.q_hidden == 0)
    return ctx.Invalid("num_heads ", s.heads, " must divide the query's hidden size ", s.q_hidden);
  const int64_t hq = s.q_hidden / s.heads;
  s.kv_sequence = key.dim(per_head ? 2 : 1);
  s.v_hidden = per_head ? value.dim(1) * value.dim(3) : value.dim(2);
  const bool fits = per_head ? key.shape() == Shape{s.batch, s.heads, s.kv_sequence, hq} && value.dim(0) == s.batch &&
                                   value.dim(1) == s.heads && value.dim(2) == s.kv_sequence
                             : key.shape() == Shape{s.batch, s.kv_sequence, s.q_hidden} && value.dim(0) == s.batch && value.dim(1) == s.kv_sequence;
  if (!fits)
    return ctx.Invalid("query ", ShapeToString(query.shape()), ", key ", ShapeToString(key.shape()), " and value ", ShapeToString(value.shape()),
                       " must be [B, S, D] with [B, L, D] and [B, L, Dv], or with [B, N, L, D / N] and [B, N, L, Dv / N]");
  if (s.v_hidden % s.heads) return ctx.Invalid("num_heads ", s.heads, " must divide the value's hidden size ", s.v_hidden);
  const int64_t hv = s.v_hidden / s.heads;
  if (per_head && (ctx.has(3) || past_key || past_value)) return ctx.Invalid("key and value per head take no bias and no past");
  if (!past_key != !past_value) return ctx.Invalid("past_key and past_value come together");
  if (past_key && (past_key->rank() != 4 || past_value->rank() != 4 || past_key->shape() != Shape{s.batch, s.heads, past_key->dim(2), hq} ||
                   past_value->shape() != Shape{s.batch, s.heads, past_key->dim(2), hv}))
    return ctx.Invalid("past_key and past_value must be [", s.batch, ", ", s.heads, ", past, ", hq, "] and [..., ", hv, "], got ",
                       ShapeToString(past_key->shape()), " and ", ShapeToString(past_value->shape()));
  const int64_t total = s.kv_sequence + (past_key ? past_key->dim(2) : 0);
  QPLAY_RETURN_IF_ERROR(ctx.CheckOutputSize(DataType::kFloat, {s.batch, s.sequence, total}));
  QPLAY_RETURN_IF_ERROR(ctx.CheckOutputSize(DataType::kFloat, {s.batch, s.heads, total, std::max(hq, hv)}));

  std::vector<float> biased[3];  // Q, K and V plus the bias, when there is one
  const float* rows[3] = {query.data<float>(), key.data<float>(), value.data<float>()};
  if (ctx.has(3)) {
    const Tensor& bias = ctx.in(3);
    if (bias.dtype() != DataType::kFloat || bias.size() != s.columns())
      return ctx.Invalid("bias must hold ", s.columns(), " floats (Q, K and V's), got ", ShapeToString(bias.shape()));
    const Tensor* parts[3] = {&query, &key, &value};
    for (int part = 0, offset = 0; part < 3; offset += static_cast<int>(parts[part]->dim(2)), ++part) {
      biased[part] = Biased(*parts[part], bias.data<float>() + offset);
      rows[part] = biased[part].data();
    }
  }
  Projections p{Layout::HeadsSideBySide(rows[0], s.sequence, s.q_hidden, hq),
                per_head ? Layout::HeadsApart(rows[1], s.heads, s.kv_sequence, hq) : Layout::HeadsSideBySide(rows[1], s.kv_sequence, s.k_hidden, hq),
                per_head ? Layout::HeadsApart(rows[2], s.heads, s.kv_sequence, hv) : Layout::HeadsSideBySide(rows[2], s.kv_sequence, s.v_hidden, hv)};
  std::optional<Tensor> present_key, present_value;
  if (past_key || ctx.wants(1) || ctx.wants(2)) {
    present_key = Present(past_key, p.k, s, hq);
    present_value = Present(past_value, p.v, s, hv);
    s.kv_sequence = total;
    p.k = Layout::HeadsApart(present_key->data<float>(), s.heads, total, hq);
    p.v = Layout::HeadsApart(present_value->data<float>(), s.heads, total, hv);
  }
  QPLAY_RETURN_IF_ERROR(AttendOverHeads(ctx, p, s, 4, ctx.has(5) ? &ctx.in(5) : nullptr));
  if (ctx.wants(1)) ctx.SetOutput(1, std::move(*present_key));
  if (ctx.wants(2)) ctx.SetOutput(2, std::move(*present_value));
  return Status::Ok();
}

}  // namespace

void RegisterAttentionKernels(KernelRegistry& r) {
  r.Add("Attention", Attention, "com.microsoft");
  r.Add("QAttention", QAttention, "com.microsoft");
  r.Add("MultiHeadAttention", MultiHeadAttention, "com.microsoft");
}

}  // namespace qplay
