// Identities of ONNX Runtime's embedding ops (their schemas are in embedding.cpp).
#pragma once
#include "ops/op_type.h"

namespace qplay::ops {

inline constexpr OpType kEmbedLayerNormalization = Microsoft("EmbedLayerNormalization"),
                        kQEmbedLayerNormalization = Microsoft("QEmbedLayerNormalization");

}  // namespace qplay::ops
