// Ops that exporters write as several small ones, recognized as the units they are (the
// patterns ONNX Runtime's transformer optimizer fuses):
//   LayerNormalization  ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div [, Mul gamma] [, Add beta]
//   RMSNorm             Pow, ReduceMean, Add, Sqrt, Div or Reciprocal and Mul [, Mul gamma]
//   Gelu                x * 0.5 * (1 + Erf(x / sqrt 2)), or its tanh approximation
//   Softmax             Exp(x - ReduceMax(x)) / ReduceSum(...)
//   HardSwish           x * HardSigmoid(x), or x * Clip(x + 3, 0, 6) / 6
//   SiLU                x * Sigmoid(x)
// Quantizing such a unit step by step puts a Q/DQ pair on its intermediate values (a row's
// variance, say) whose ranges differ by orders of magnitude between rows; the quantizer keeps
// each unit whole instead, quantized only at its boundaries.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ir/model.h"
#include "passes/passes.h"

namespace qplay {

struct DecomposedOp {
  std::string op_type;             // what the nodes compute together: LayerNormalization, Gelu...
  std::vector<size_t> nodes;       // the nodes that compute it, as indices into graph.nodes, in order
  std::string input, output;
  // The single node that computes the same where the model's opset has the op
  // (LayerNormalization from opset 17, Gelu from 20, HardSwish from 14, Softmax); else nullopt.
  std::optional<Node> fused;
};

// Which single nodes a decomposed op may become: only ops of the model's opset (a model to
// save), or also those ONNX Runtime defines at any opset and fuses into at session creation
// (a session's own graph): LayerNormalization below opset 17 (ONNX Runtime's version-1 op) and
// the erf Gelu below opset 20 (com.microsoft Gelu).
enum class FusedForms { kModelOpset, kSession };

std::vector<DecomposedOp> FindDecomposedOps(const Model& model, FusedForms forms = FusedForms::kModelOpset);

// Replaces each decomposed op that has a fused form by its single node.
Result<PassReport> FuseDecomposedOps(Model& model, FusedForms forms = FusedForms::kModelOpset);

}  // namespace qplay
