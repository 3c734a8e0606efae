// An op's identity: its domain and type. Each op family's header (ops/conv.h, ops/matmul.h,
// ...) defines the identities of the ops other layers name, so that an op's name is written
// only in its own files; passes, quantizers and training match and build nodes through them.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "ir/ir.h"

namespace qplay {

inline constexpr std::string_view kMicrosoftDomain = "com.microsoft";

struct OpType {
  std::string_view domain;  // "" for ai.onnx
  std::string_view type;
};

// Constructs an ai.onnx op's identity.
constexpr OpType Onnx(std::string_view type) { return {"", type}; }
constexpr OpType Microsoft(std::string_view type) { return {kMicrosoftDomain, type}; }

inline bool IsOp(const Node& node, OpType op) { return node.op_type == op.type && node.domain == op.domain; }

template <typename... Ops>
bool IsAnyOp(const Node& node, Ops... ops) {
  return (IsOp(node, ops) || ...);
}

// Gives `node` the identity `op` (a rewrite that keeps its inputs, outputs and name).
inline void SetOp(Node& node, OpType op) {
  node.op_type = std::string(op.type);
  node.domain = std::string(op.domain);
}

inline Node MakeNode(OpType op, std::string name, std::vector<std::string> inputs, std::vector<std::string> outputs) {
  Node node;
  node.name = std::move(name);
  SetOp(node, op);
  node.inputs = std::move(inputs);
  node.outputs = std::move(outputs);
  return node;
}

}  // namespace qplay
