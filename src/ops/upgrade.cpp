#include "ops/upgrade.h"

namespace qplay {

const Tensor* UpgradeContext::ConstantInput(size_t i) {
  if (i >= node().inputs.size()) return nullptr;
  auto it = graph_.initializers.find(node().inputs[i]);
  return it == graph_.initializers.end() ? nullptr : &it->second;
}

std::optional<int64_t> UpgradeContext::InputRank(size_t i) {
  if (i >= node().inputs.size()) return std::nullopt;
  const ValueType* type = graph_.TypeOf(node().inputs[i]);
  if (!type || !type->shape) return std::nullopt;
  return static_cast<int64_t>(type->shape->size());
}

std::string UpgradeContext::Fresh(const std::string& role) {
  if (used_.empty()) {  // the graph's names, gathered once per adapter call
    used_.insert(graph_.inputs.begin(), graph_.inputs.end());
    for (const auto& [name, _] : graph_.initializers) used_.insert(name);
    for (const auto& [name, _] : graph_.value_types) used_.insert(name);
    for (const Node& n : graph_.nodes) used_.insert(n.outputs.begin(), n.outputs.end());
  }
  const std::string base = (node().name.empty() ? node().outputs.at(0) : node().name) + "_" + role;
  std::string name = base;
  for (int i = 1; used_.count(name); ++i) name = base + "_" + std::to_string(i);
  used_.insert(name);
  return name;
}

std::string UpgradeContext::AddConstant(const std::string& role, Tensor value) {
  const std::string name = Fresh(role);
  graph_.initializers[name] = std::move(value);
  return name;
}

const UpgradeRegistry& UpgradeRegistry::Get() {
  static const UpgradeRegistry registry = [] {
    UpgradeRegistry r;
    RegisterShapeUpgrades(r);
    RegisterReduceUpgrades(r);
    RegisterActivationUpgrades(r);
    RegisterNormalizationUpgrades(r);
    RegisterResizeUpgrades(r);
    RegisterTensorUpgrades(r);
    RegisterDetectionUpgrades(r);
    return r;
  }();
  return registry;
}

void UpgradeRegistry::Add(const std::string& op_type, int64_t version, UpgradeFn fn) { adapters_[op_type][version] = fn; }

std::vector<std::pair<int64_t, UpgradeFn>> UpgradeRegistry::Between(const std::string& op_type, int64_t from, int64_t to) const {
  std::vector<std::pair<int64_t, UpgradeFn>> out;
  auto it = adapters_.find(op_type);
  if (it == adapters_.end()) return out;
  for (auto v = it->second.upper_bound(from); v != it->second.end() && v->first <= to; ++v) out.emplace_back(*v);
  return out;
}

void SetInput(Node& node, size_t position, const std::string& value) {
  if (node.inputs.size() <= position) node.inputs.resize(position + 1);
  node.inputs[position] = value;
}

void IntsAttributeToInput(UpgradeContext& ctx, const std::string& attr, size_t position) {
  Node& node = ctx.node();
  if (!node.Has(attr)) return;
  const std::vector<int64_t> values = node.GetInts(attr);
  node.attributes.erase(attr);
  SetInput(ctx.node(), position, ctx.AddConstant(attr, Tensor::FromVector<int64_t>({static_cast<int64_t>(values.size())}, values)));
}

void FloatAttributeToInput(UpgradeContext& ctx, const std::string& attr, size_t position) {
  Node& node = ctx.node();
  if (!node.Has(attr)) return;
  const float value = node.GetFloat(attr, 0);
  node.attributes.erase(attr);
  SetInput(ctx.node(), position, ctx.AddConstant(attr, Tensor::Scalar<float>(value)));
}

}  // namespace qplay
