// ONNX Runtime's com.microsoft EmbedLayerNormalization, which its transformer optimizer fuses a
// BERT embedding into (word, position and segment embeddings summed, then layer-normalized, and
// the mask's token counts), and QEmbedLayerNormalization, the form its quantize_dynamic gives it
// (tables, gamma and beta in 8 bits, each with a scale and zero point).
#include "ops/embedding.h"
#include "ops/schema.h"

namespace qplay {
namespace {

// output [batch, sequence, hidden]; mask_index [batch]; embedding_sum like output.
std::vector<ValueInfo> EmbedInfer(InferContext& ctx) {
  const ValueInfo &ids = ctx.in(0), &word = ctx.in(2);
  const DataType type = IsOp(ctx.node, ops::kQEmbedLayerNormalization) ? DataType::kFloat : word.dtype;
  std::optional<Dims> out;
  if (ids.shape && ids.shape->size() == 2 && word.shape && word.shape->size() == 2)
    out = Dims{(*ids.shape)[0], (*ids.shape)[1], (*word.shape)[1]};
  ValueInfo sum = ValueInfo::Typed(type, out);
  ValueInfo mask = ids.shape && !ids.shape->empty() ? ValueInfo::Typed(DataType::kInt32, Dims{(*ids.shape)[0]})
                                                    : ValueInfo::Typed(DataType::kInt32);
  return {sum, mask, sum};
}

}  // namespace

void RegisterEmbeddingSchemas(SchemaRegistry& r) {
  const std::string ms(kMicrosoftDomain);
  r.Add(OpSchema("EmbedLayerNormalization", 1, ms).Input("input_ids", "T1").Input("segment_ids", "T1", kOptional)
            .Input("word_embedding", "T").Input("position_embedding", "T").Input("segment_embedding", "T", kOptional)
            .Input("gamma", "T").Input("beta", "T", kOptional).Input("mask", "T1", kOptional).Input("position_ids", "T1", kOptional)
            .Output("output", "T").Output("mask_index", "T1", kOptional).Output("embedding_sum", "T", kOptional)
            .Types("T1", {DataType::kInt32}).Types("T", {DataType::kFloat}).Attr("epsilon", AttrType::kFloat, Attribute::Float(1e-12f))
            .Attr("mask_index_type", AttrType::kInt, Attribute::Int(1), OneOfInts({0, 1})).Infer(EmbedInfer));
  OpSchema quantized("QEmbedLayerNormalization", 1, ms);
  quantized.Input("input_ids", "T1").Input("segment_ids", "T1", kOptional).Input("word_embedding_quant", "T2")
      .Input("position_embedding_quant", "T2").Input("segment_embedding", "T2", kOptional).Input("gamma_quant", "T2")
      .Input("beta_quant", "T2").Input("mask", "T1", kOptional);
  for (const char* part : {"word_embedding", "position_embedding", "segment_embedding", "gamma", "beta"})
    quantized.Input(std::string(part) + "_scale", "T", std::string(part) == "segment_embedding" ? kOptional : kRequired);
  for (const char* part : {"word_embedding", "position_embedding", "segment_embedding", "gamma", "beta"})
    quantized.Input(std::string(part) + "_zero_point", "T2", std::string(part) == "segment_embedding" ? kOptional : kRequired);
  quantized.Output("layernorm_out", "T").Output("mask_index_out", "T1").Types("T1", {DataType::kInt32}).Types("T2", kInt8Types)
      .Types("T", {DataType::kFloat}).Attr("epsilon", AttrType::kFloat, Attribute::Float(1e-12f)).Infer(EmbedInfer);
  r.Add(std::move(quantized));
}

}  // namespace qplay
