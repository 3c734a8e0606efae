#include "graph/constant_nodes.h"

#include <algorithm>

#include "kernels/registry.h"
#include "ops/tensor_ops.h"

namespace qplay {
namespace {

void Hoist(Graph& graph, int64_t opset) {
  std::vector<Node> kept;
  for (Node& node : graph.nodes) {
    for (auto& [_, attr] : node.attributes)
      if (attr.g) Hoist(*attr.g, opset);
    const bool output = std::find(graph.outputs.begin(), graph.outputs.end(), node.outputs.empty() ? "" : node.outputs[0]) !=
                        graph.outputs.end();
    if (!IsOp(node, ops::kConstant) || node.outputs.size() != 1 || output) {
      kept.push_back(std::move(node));
      continue;
    }
    KernelContext ctx(node, opset, {}, nullptr);
    if (!Invoke(KernelRegistry::Get().Find(node.domain, node.op_type), ctx).ok() || ctx.outputs().empty()) {
      kept.push_back(std::move(node));
      continue;
    }
    graph.initializers[node.outputs[0]] = std::move(ctx.outputs()[0]);
  }
  graph.nodes = std::move(kept);
}

}  // namespace

void HoistConstantNodes(Model& model) { Hoist(model.graph, model.DefaultOpset()); }

}  // namespace qplay
