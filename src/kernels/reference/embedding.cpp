// ONNX Runtime's com.microsoft EmbedLayerNormalization and QEmbedLayerNormalization, as its CPU
// kernels compute them: per token, the word row, the position row (its index in the sequence,
// or position_ids) and the segment row when given are summed, then layer-normalized
// (y = (x - mean) / sqrt(variance + epsilon) x gamma + beta); mask_index counts each sequence's
// mask values equal to 1 (0 without a mask). QEmbedLayerNormalization dequantizes its 8-bit
// tables, gamma and beta, each with one scale and zero point, first.
#include <cmath>

#include "kernels/quant_math.h"
#include "kernels/registry.h"

namespace qplay {
namespace {

// A float tensor as it is, or an 8-bit one dequantized with its scale and zero point.
struct Values {
  const Tensor* tensor = nullptr;
  float scale = 1;
  int32_t zero_point = 0;
  float At(int64_t i) const {
    return tensor->dtype() == DataType::kFloat ? tensor->data<float>()[i] : static_cast<float>(LoadInt8(*tensor, i) - zero_point) * scale;
  }
};

struct EmbedInputs {
  Values word, position, segment, gamma, beta;  // segment.tensor and beta.tensor may be null
  const Tensor* segment_ids = nullptr;
  const Tensor* mask = nullptr;
  const Tensor* position_ids = nullptr;
};

Status CheckIds(const KernelContext& ctx, const Tensor& ids, const char* what, const Shape& expected) {
  if (ids.dtype() != DataType::kInt32) return ctx.Invalid(what, " must be int32, got ", DataTypeName(ids.dtype()));
  if (ids.shape() != expected) return ctx.Invalid(what, " must be ", ShapeToString(expected), ", got ", ShapeToString(ids.shape()));
  return Status::Ok();
}

// Row `id` of `table` for token `token`, or an error naming the index.
Result<int64_t> Row(const KernelContext& ctx, const Values& table, int64_t id, const char* what, int64_t token) {
  if (id < 0 || id >= table.tensor->dim(0))
    return ctx.Invalid(what, " ", id, " at token ", token, " is out of range for ", table.tensor->dim(0), " rows");
  return id;
}

Status EmbedAndNormalize(KernelContext& ctx, const EmbedInputs& in) {
  if (!in.word.tensor || !in.position.tensor || !in.gamma.tensor) return ctx.Invalid("needs the word and position embeddings and gamma");
  const Tensor& ids = ctx.in(0);
  if (ids.rank() != 2) return ctx.Invalid("input_ids must be [batch, sequence], got ", ShapeToString(ids.shape()));
  const int64_t batch = ids.dim(0), sequence = ids.dim(1);
  QPLAY_RETURN_IF_ERROR(CheckIds(ctx, ids, "input_ids", ids.shape()));
  for (const Values* t : {&in.word, &in.position, &in.segment})
    if (t->tensor && t->tensor->rank() != 2) return ctx.Invalid("embedding tables must be [rows, hidden], got ", ShapeToString(t->tensor->shape()));
  const int64_t hidden = in.word.tensor->dim(1);
  for (const Values* t : {&in.position, &in.segment})
    if (t->tensor && t->tensor->dim(1) != hidden) return ctx.Invalid("embedding tables differ in width: ", hidden, " and ", t->tensor->dim(1));
  for (const Values* t : {&in.gamma, &in.beta})
    if (t->tensor && t->tensor->size() != hidden) return ctx.Invalid("gamma and beta must hold ", hidden, " values, got ", ShapeToString(t->tensor->shape()));
  if (in.segment.tensor && in.segment_ids) QPLAY_RETURN_IF_ERROR(CheckIds(ctx, *in.segment_ids, "segment_ids", ids.shape()));
  if (in.mask) QPLAY_RETURN_IF_ERROR(CheckIds(ctx, *in.mask, "mask", ids.shape()));
  const bool shared_positions = in.position_ids && in.position_ids->rank() == 2 && in.position_ids->dim(0) == 1;
  if (in.position_ids) QPLAY_RETURN_IF_ERROR(CheckIds(ctx, *in.position_ids, "position_ids", shared_positions ? Shape{1, sequence} : ids.shape()));
  QPLAY_RETURN_IF_ERROR(ctx.CheckOutputSize(DataType::kFloat, {batch, sequence, hidden}));
  Tensor& y = ctx.Output(0, DataType::kFloat, {batch, sequence, hidden});
  Tensor* sums = ctx.node.outputs.size() > 2 && !ctx.node.outputs[2].empty() ? &ctx.Output(2, DataType::kFloat, {batch, sequence, hidden}) : nullptr;
  const float epsilon = ctx.node.GetFloat("epsilon", 1e-12f);
  for (int64_t token = 0; token < batch * sequence; ++token) {
    const int64_t s = token % sequence;
    auto word = Row(ctx, in.word, ids.data<int32_t>()[token], "input_ids", token);
    auto position = Row(ctx, in.position, in.position_ids ? in.position_ids->data<int32_t>()[shared_positions ? s : token] : s, "position", token);
    if (!word.ok()) return word.status();
    if (!position.ok()) return position.status();
    int64_t segment = 0;
    if (in.segment.tensor) {
      auto row = Row(ctx, in.segment, in.segment_ids ? in.segment_ids->data<int32_t>()[token] : 0, "segment_ids", token);
      if (!row.ok()) return row.status();
      segment = *row;
    }
    float* out = y.data<float>() + token * hidden;
    float sum = 0;
    for (int64_t i = 0; i < hidden; ++i) {
      float subtotal = in.word.At(*word * hidden + i) + in.position.At(*position * hidden + i);
      if (in.segment.tensor) subtotal += in.segment.At(segment * hidden + i);
      out[i] = subtotal;
      if (sums) sums->data<float>()[token * hidden + i] = subtotal;
      sum += subtotal;
    }
    const float mean = sum / static_cast<float>(hidden);
    sum = 0;
    for (int64_t i = 0; i < hidden; ++i) {
      out[i] -= mean;
      sum += out[i] * out[i];
    }
    const float deviation = std::sqrt(sum / static_cast<float>(hidden) + epsilon);
    for (int64_t i = 0; i < hidden; ++i) out[i] = out[i] / deviation * in.gamma.At(i) + (in.beta.tensor ? in.beta.At(i) : 0.0f);
  }
  if (ctx.node.outputs.size() > 1 && !ctx.node.outputs[1].empty()) {
    Tensor& mask_index = ctx.Output(1, DataType::kInt32, {batch});
    for (int64_t b = 0; b < batch; ++b) {
      int32_t count = 0;
      for (int64_t s = 0; in.mask && s < sequence; ++s) count += in.mask->data<int32_t>()[b * sequence + s] == 1;
      mask_index.data<int32_t>()[b] = count;
    }
  }
  return Status::Ok();
}

const Tensor* Optional(const KernelContext& ctx, size_t i) { return ctx.has(i) ? &ctx.in(i) : nullptr; }

Status EmbedLayerNormalization(KernelContext& ctx) {
  EmbedInputs in;
  in.segment_ids = Optional(ctx, 1);
  in.word.tensor = &ctx.in(2);
  in.position.tensor = &ctx.in(3);
  in.segment.tensor = Optional(ctx, 4);
  in.gamma.tensor = &ctx.in(5);
  in.beta.tensor = Optional(ctx, 6);
  in.mask = Optional(ctx, 7);
  in.position_ids = Optional(ctx, 8);
  for (const Values* t : {&in.word, &in.position, &in.segment, &in.gamma, &in.beta})
    if (t->tensor && t->tensor->dtype() != DataType::kFloat) return ctx.Unsupported("tables of ", DataTypeName(t->tensor->dtype()), " (float32 is supported)");
  return EmbedAndNormalize(ctx, in);
}

// QEmbedLayerNormalization(input_ids, segment_ids, word, position, segment, gamma, beta, mask,
// then the five scales and the five zero points in that order).
Status QEmbedLayerNormalization(KernelContext& ctx) {
  EmbedInputs in;
  in.segment_ids = Optional(ctx, 1);
  in.mask = Optional(ctx, 7);
  Values* parts[] = {&in.word, &in.position, &in.segment, &in.gamma, &in.beta};
  for (size_t p = 0; p < 5; ++p) {
    parts[p]->tensor = Optional(ctx, 2 + p);
    if (!parts[p]->tensor) continue;
    const Tensor* scale = Optional(ctx, 8 + p);
    const Tensor* zero_point = Optional(ctx, 13 + p);
    if (!Is8Bit(*parts[p]->tensor) || !scale || scale->dtype() != DataType::kFloat || scale->size() != 1 ||
        (zero_point && (zero_point->size() != 1 || zero_point->dtype() != parts[p]->tensor->dtype())))
      return ctx.Invalid("input ", 2 + p, " must be 8-bit with one float scale (input ", 8 + p, ") and one zero point of its type (input ", 13 + p, ")");
    parts[p]->scale = scale->data<float>()[0];
    parts[p]->zero_point = ZeroPointAt(zero_point, 0);
  }
  return EmbedAndNormalize(ctx, in);
}

}  // namespace

void RegisterEmbeddingKernels(KernelRegistry& r) {
  r.Add("EmbedLayerNormalization", EmbedLayerNormalization, "com.microsoft");
  r.Add("QEmbedLayerNormalization", QEmbedLayerNormalization, "com.microsoft");
}

}  // namespace qplay
