// The Q/DQ ops quantized models are written with: recognizing them and writing them, so that
// their names live here (ai.onnx's, or com.microsoft's for 16-bit types before opset 21).
#pragma once
#include <string>
#include <vector>

#include "ir/ir.h"
#include "ops/op_type.h"

namespace qplay {

namespace ops {
inline constexpr OpType kDynamicQuantizeLinear = Onnx("DynamicQuantizeLinear");
}  // namespace ops

bool IsQuantizeLinear(const Node& node);
bool IsDequantizeLinear(const Node& node);

// A QuantizeLinear or DequantizeLinear node in `domain` ("" or "com.microsoft").
Node MakeQuantizeLinear(const std::string& domain, const std::string& name, std::vector<std::string> inputs,
                        const std::string& output);
Node MakeDequantizeLinear(const std::string& domain, const std::string& name, std::vector<std::string> inputs,
                          const std::string& output);

}  // namespace qplay
