// What the runtime supports, from the registries: every op with both a schema and a kernel.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace qplay {

struct SupportedOp {
  std::string domain;  // "" is ai.onnx
  std::string op_type;
  std::vector<int64_t> versions;  // the opset versions at which the op's definition changed
  bool fast = false;              // has a SIMD kernel beside the reference one
};

// Sorted by domain, then op type.
std::vector<SupportedOp> SupportedOps();
// The same as a Markdown table (the docs' ops page, `qplay ops`): domain, op, opset ranges
// ("1-12, 13+"), fast kernel.
std::string SupportedOpsMarkdown();

}  // namespace qplay
