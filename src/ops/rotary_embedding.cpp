// ONNX Runtime's com.microsoft RotaryEmbedding, which its transformer optimizer and LLM exports
// use on queries and keys: each head's first rotary_embedding_dim values rotated pairwise by
// angles read from cos and sin caches at each token's position.
#include "ops/schema.h"

namespace qplay {

void RegisterRotaryEmbeddingSchemas(SchemaRegistry& r) {
  r.Add(OpSchema("RotaryEmbedding", 1, std::string(kMicrosoftDomain)).Input("input", "T").Input("position_ids", "M")
            .Input("cos_cache", "T").Input("sin_cache", "T").Output("output", "T").Types("T", {DataType::kFloat})
            .Types("M", {DataType::kInt64}).Attr("interleaved", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1}))
            .Attr("num_heads", AttrType::kInt, Attribute::Int(0), AtLeast(0))
            .Attr("rotary_embedding_dim", AttrType::kInt, Attribute::Int(0), AtLeast(0))
            .Attr("scale", AttrType::kFloat, Attribute::Float(1.0f))
            .Attr("is_packed_batching", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1}))
            .Infer([](InferContext& ctx) { return std::vector<ValueInfo>{ValueInfo::Typed(ctx.in(0).dtype, ctx.in(0).shape)}; }));
}

}  // namespace qplay
