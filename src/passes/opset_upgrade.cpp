#include "passes/opset_upgrade.h"

#include "graph/shape_inference.h"
#include "ops/schema.h"
#include "ops/upgrade.h"

namespace qplay {
namespace {

constexpr int64_t kOldestUpgradable = 7;

// The IR version a model needs for ai.onnx `opset` (onnx/helper.py's table).
int64_t IrVersionFor(int64_t opset) {
  if (opset >= 21) return 10;
  if (opset >= 19) return 9;
  if (opset >= 15) return 8;
  if (opset >= 13) return 7;
  return 6;
}

// Carries node `index` of `graph` from `from` to `to`; returns how many nodes now stand where it
// stood (adapters may add some before and after it).
Result<size_t> UpgradeNode(Graph& graph, size_t index, int64_t from, int64_t to, int64_t& adapted) {
  const Node& node = graph.nodes[index];
  if (!SchemaRegistry::Get().Find("", node.op_type, from))
    return Fail(StatusCode::kUnsupported, node.Describe(), " cannot be carried to opset ", to, ": qplay does not know ",
                node.op_type, " at opset ", from);
  std::vector<Node> before, after;
  int64_t version = from;
  bool changed = false;
  // An adapter may rename the op (Upsample becomes Resize): then the new op's later adapters apply.
  for (bool renamed = true; renamed;) {
    renamed = false;
    const std::string op = graph.nodes[index].op_type;
    for (const auto& [at, adapt] : UpgradeRegistry::Get().Between(op, version, to)) {
      UpgradeContext ctx(graph, index, at);
      QPLAY_RETURN_IF_ERROR(adapt(ctx));
      before.insert(before.end(), ctx.before.begin(), ctx.before.end());
      after.insert(after.begin(), ctx.after.begin(), ctx.after.end());
      changed = true;
      version = at;
      if (graph.nodes[index].op_type != op) {
        renamed = true;
        break;
      }
    }
  }
  if (!SchemaRegistry::Get().Find("", graph.nodes[index].op_type, to))
    return Fail(StatusCode::kUnsupported, graph.nodes[index].Describe(), " cannot be carried to opset ", to, ": qplay knows no form of ",
                graph.nodes[index].op_type, " there");
  adapted += changed;
  const size_t count = before.size() + 1 + after.size();
  graph.nodes.insert(graph.nodes.begin() + static_cast<std::ptrdiff_t>(index) + 1, after.begin(), after.end());
  graph.nodes.insert(graph.nodes.begin() + static_cast<std::ptrdiff_t>(index), before.begin(), before.end());
  return count;
}

Status UpgradeGraph(Graph& graph, int64_t from, int64_t to, int64_t& adapted) {
  for (size_t i = 0; i < graph.nodes.size();) {
    for (auto& [_, attribute] : graph.nodes[i].attributes) {
      if (!attribute.g) continue;
      attribute.g = std::make_shared<Graph>(*attribute.g);  // the original model's subgraph stays as it was
      QPLAY_RETURN_IF_ERROR(UpgradeGraph(*attribute.g, from, to, adapted));
    }
    if (!graph.nodes[i].domain.empty() && graph.nodes[i].domain != "ai.onnx") {
      ++i;
      continue;
    }
    auto placed = UpgradeNode(graph, i, from, to, adapted);
    if (!placed.ok()) return placed.status();
    i += *placed;
  }
  return Status::Ok();
}

}  // namespace

Result<OpsetUpgrade> UpgradeOpset(Model& model, int64_t target, bool float32_weights_ok) {
  const int64_t from = model.DefaultOpset();
  if (target > kLatestOpset)
    return Fail(StatusCode::kInvalidArgument, "opset ", target, " is past the newest qplay knows, ", kLatestOpset);
  if (target < from)
    return Fail(StatusCode::kInvalidArgument, "the model imports opset ", from, "; qplay upgrades, it does not downgrade to ", target);
  if (from < kOldestUpgradable)
    return Fail(StatusCode::kUnsupported, "the model imports opset ", from, "; qplay upgrades from opset ", kOldestUpgradable);
  if (!model.upcast_from.empty() && !float32_weights_ok)
    return Fail(StatusCode::kUnsupported, "the model stores ", model.upcast_from,
                " values, which qplay computes in float32; converting it would write them as float32");
  OpsetUpgrade upgrade{from, target, 0};
  if (target == from) return upgrade;
  Model upgraded = model;  // the model stays as it was if any node cannot be carried over
  QPLAY_RETURN_IF_ERROR(UpgradeGraph(upgraded.graph, from, target, upgrade.adapted_nodes));
  upgraded.opsets[""] = target;
  upgraded.ir_version = std::max(upgraded.ir_version, IrVersionFor(target));
  QPLAY_RETURN_IF_ERROR(InferShapes(upgraded));
  model = std::move(upgraded);
  return upgrade;
}

}  // namespace qplay
