// Small helpers shared by the passes: who reads a value, renaming, unused initializers.
#pragma once
#include <string>
#include <vector>

#include "ir/ir.h"
#include "ir/model.h"

namespace qplay {

// Indices of the nodes that read `value` (subgraph reads count for their parent node).
std::vector<size_t> Consumers(const Graph& graph, const std::string& value);
bool IsGraphOutput(const Graph& graph, const std::string& value);
// True when `name` is a float32 initializer or a value typed float32.
bool IsFloatValue(const Graph& graph, const std::string& name);
// Input `input` of `node` when it is a float32 initializer, else null.
const Tensor* FloatInitializer(const Graph& graph, const Node& node, size_t input);
// Imports `domain` (com.microsoft, say) at version 1 at least.
void ImportDomain(Model& model, const std::string& domain);
// Drops initializers no node or output reads.
void RemoveUnusedInitializers(Graph& graph);
// Runs one node whose inputs are all initializers (a DequantizeLinear of a stored weight, say)
// and returns its first output.
Result<Tensor> EvaluateConstantNode(const Model& model, const Node& node);
// After a rewrite: makes node names unique, forgets the placeholder types of names it reserved,
// drops initializers nothing reads, restores topological order and infers types and shapes again.
Status FinishRewrite(Model& model);

}  // namespace qplay
