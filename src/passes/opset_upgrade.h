// The opset converter: carries a model's ai.onnx nodes to a newer opset, as ONNX's version
// converter does, with the adapters each op family registers (ops/upgrade.h).
#pragma once
#include <cstdint>

#include "core/status.h"
#include "ir/model.h"

namespace qplay {

// The name under which quantization reports an upgrade among its passes.
inline constexpr const char* kOpsetUpgradePass = "opset upgrade";

struct OpsetUpgrade {
  int64_t from = 0, to = 0;
  int64_t adapted_nodes = 0;  // nodes an adapter rewrote (the others only changed version)
};

// Rewrites `model` (subgraphs included) to ai.onnx opset `target` (from 7 up to 22). Fails,
// leaving the model as it was, naming the first node that cannot be carried over: an op qplay
// does not know at the model's opset, or one whose older form has no newer equivalent. Models
// stored in float16 or bfloat16 are refused unless `float32_weights_ok` (the quantizer, which
// writes the weights anew): qplay holds them in float32 and would write that.
Result<OpsetUpgrade> UpgradeOpset(Model& model, int64_t target, bool float32_weights_ok = false);

}  // namespace qplay
