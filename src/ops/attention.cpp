// ONNX Runtime's com.microsoft Attention, which its transformer optimizer fuses a BERT-style
// self-attention block into (the Q, K and V projections, the masked scaled dot product and the
// heads' concatenation), and QAttention, the form its quantize_dynamic gives it (8-bit input
// and weights, float bias and output); MultiHeadAttention, the same over Q, K and V projected
// already (cross-attention, decoders).
#include "ops/attention.h"
#include "ops/schema.h"

namespace qplay {
namespace {

// [batch, sequence, V's hidden size]: the weights' columns less Q's and K's.
std::vector<ValueInfo> AttentionInfer(InferContext& ctx) {
  const ValueInfo &input = ctx.in(0), &weights = ctx.in(1);
  const DataType type = IsOp(ctx.node, ops::kQAttention) ? ctx.in(2).dtype : input.dtype;
  if (!input.shape || input.shape->size() != 3) return ctx.Unknown(type);
  Dims out = *input.shape;
  const std::vector<int64_t> sizes = ctx.node.GetInts("qkv_hidden_sizes");
  if (sizes.size() == 3) out[2] = Dim::Known(sizes[2]);
  else if (weights.shape && weights.shape->size() == 2 && (*weights.shape)[1].known()) out[2] = Dim::Known(*(*weights.shape)[1].value / 3);
  else out[2] = Dim{};
  return {ValueInfo::Typed(type, out)};
}

// The attributes both ops take; Attention also takes qkv_hidden_sizes and rotary_embedding_dim.
OpSchema& SharedAttributes(OpSchema& s) {
  return s.Attr("num_heads", AttrType::kInt, std::nullopt, AtLeast(1)).Attr("unidirectional", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1}))
      .Attr("mask_filter_value", AttrType::kFloat, Attribute::Float(-10000.0f)).OptionalAttr("scale", AttrType::kFloat)
      .Attr("do_rotary", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1}))
      .Attr("past_present_share_buffer", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1}))
      .Output("output", "T").Output("present", "T", kOptional).Infer(AttentionInfer);
}

// [batch, sequence, V's hidden size], and the key/value cache [batch, heads, keys, head size].
std::vector<ValueInfo> MultiHeadAttentionInfer(InferContext& ctx) {
  const ValueInfo& query = ctx.in(0);
  const std::vector<ValueInfo> unknown(3, ValueInfo::Typed(query.dtype));
  if (!query.shape || query.shape->size() != 3) return unknown;
  Dims out = *query.shape;
  if (ctx.has(2)) {
    const ValueInfo& value = ctx.in(2);
    const bool per_head = value.shape && value.shape->size() == 4;
    out[2] = value.shape && value.shape->size() == 3 ? (*value.shape)[2]
             : per_head && (*value.shape)[1].known() && (*value.shape)[3].known() ? Dim::Known(*(*value.shape)[1].value * *(*value.shape)[3].value)
                                                                                   : Dim{};
  }
  return {ValueInfo::Typed(query.dtype, out), unknown[1], unknown[2]};
}

}  // namespace

void RegisterAttentionSchemas(SchemaRegistry& r) {
  const std::string ms(kMicrosoftDomain);
  OpSchema attention("Attention", 1, ms);
  attention.Input("input", "T").Input("weights", "T").Input("bias", "T", kOptional).Input("mask_index", "M", kOptional)
      .Input("past", "T", kOptional).Input("attention_bias", "T", kOptional).Input("past_sequence_length", "M", kOptional)
      .Types("T", {DataType::kFloat}).Types("M", {DataType::kInt32});
  attention.OptionalAttr("qkv_hidden_sizes", AttrType::kInts).Attr("rotary_embedding_dim", AttrType::kInt, Attribute::Int(0));
  r.Add(std::move(SharedAttributes(attention)));
  OpSchema quantized("QAttention", 1, ms);
  quantized.Input("input", "T1").Input("weight", "T2").Input("bias", "T").Input("input_scale", "T").Input("weight_scale", "T")
      .Input("mask_index", "M", kOptional).Input("input_zero_point", "T1", kOptional).Input("weight_zero_point", "T2", kOptional)
      .Input("past", "T", kOptional).Types("T1", kInt8Types).Types("T2", kInt8Types).Types("T", {DataType::kFloat})
      .Types("M", {DataType::kInt32});
  r.Add(std::move(SharedAttributes(quantized)));
  r.Add(OpSchema("MultiHeadAttention", 1, ms).Input("query", "T").Input("key", "T", kOptional).Input("value", "T", kOptional)
            .Input("bias", "T", kOptional).Input("key_padding_mask", "M", kOptional).Input("attention_bias", "T", kOptional)
            .Input("past_key", "T", kOptional).Input("past_value", "T", kOptional).Input("past_sequence_length", "M", kOptional)
            .Input("cache_indirection", "M", kOptional).Output("output", "T").Output("present_key", "T", kOptional)
            .Output("present_value", "T", kOptional).Output("qk", "T", kOptional).Types("T", {DataType::kFloat}).Types("M", {DataType::kInt32})
            .Attr("num_heads", AttrType::kInt, std::nullopt, AtLeast(1)).Attr("unidirectional", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1}))
            .Attr("mask_filter_value", AttrType::kFloat, Attribute::Float(-10000.0f)).OptionalAttr("scale", AttrType::kFloat)
            .Infer(MultiHeadAttentionInfer));
}

}  // namespace qplay
