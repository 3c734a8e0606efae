// Carrying a node to a newer ai.onnx opset: the adapters of the op versions whose definitions
// changed (attributes that became inputs, changed defaults, renamed ops). Each op family
// registers its adapters beside its schemas; passes/opset_upgrade walks a model through them.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "ir/ir.h"

namespace qplay {

// What an adapter sees: the node (in a graph) being carried to `version`, and ways to add
// constants and nodes around it.
class UpgradeContext {
 public:
  UpgradeContext(Graph& graph, size_t node_index, int64_t version) : version(version), graph_(graph), index_(node_index) {}

  const int64_t version;
  Node& node() { return graph_.nodes[index_]; }
  const Graph& graph() const { return graph_; }
  // The initializer behind input i, or nullptr.
  const Tensor* ConstantInput(size_t i);
  // The declared or inferred rank of input i, if known.
  std::optional<int64_t> InputRank(size_t i);

  // A name no value of the graph has, from the node's name and `role`.
  std::string Fresh(const std::string& role);
  // Adds an initializer for the node and returns its name.
  std::string AddConstant(const std::string& role, Tensor value);
  // Nodes that go just before / just after the node.
  void InsertBefore(Node node) { before.push_back(std::move(node)); }
  void InsertAfter(Node node) { after.push_back(std::move(node)); }
  std::vector<Node> before, after;

  template <typename... Parts>
  Status Refuse(const Parts&... parts) {
    return Fail(StatusCode::kUnsupported, node().Describe(), " cannot be carried to opset ", version, ": ", parts...);
  }

 private:
  Graph& graph_;
  size_t index_;
  std::set<std::string> used_;  // every value name of the graph and every name Fresh gave
};

using UpgradeFn = Status (*)(UpgradeContext&);

class UpgradeRegistry {
 public:
  static const UpgradeRegistry& Get();
  // `fn` carries a node of `op_type` from the version before `version` to `version`.
  void Add(const std::string& op_type, int64_t version, UpgradeFn fn);
  // The adapters of `op_type` for versions in (from, to], in order.
  std::vector<std::pair<int64_t, UpgradeFn>> Between(const std::string& op_type, int64_t from, int64_t to) const;

 private:
  std::map<std::string, std::map<int64_t, UpgradeFn>> adapters_;
};

// Shared steps of adapters.
// Input `position` (omitted inputs before it become "") set to `value`.
void SetInput(Node& node, size_t position, const std::string& value);
// Moves int list attribute `attr`, if present, to input `position` as an int64 initializer.
void IntsAttributeToInput(UpgradeContext& ctx, const std::string& attr, size_t position);
// Moves float attribute `attr`, if present, to input `position` as a float scalar initializer.
void FloatAttributeToInput(UpgradeContext& ctx, const std::string& attr, size_t position);

// One Register*Upgrades per op family that has adapters (ops/*.cpp); upgrade.cpp calls them all.
void RegisterShapeUpgrades(UpgradeRegistry& r);
void RegisterReduceUpgrades(UpgradeRegistry& r);
void RegisterActivationUpgrades(UpgradeRegistry& r);
void RegisterNormalizationUpgrades(UpgradeRegistry& r);
void RegisterResizeUpgrades(UpgradeRegistry& r);
void RegisterTensorUpgrades(UpgradeRegistry& r);
void RegisterDetectionUpgrades(UpgradeRegistry& r);

}  // namespace qplay
