#include "passes/decomposed_ops.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "ops/activation.h"
#include "ops/elementwise.h"
#include "ops/normalization.h"
#include "ops/reduce.h"
#include "ops/schema.h"
#include "passes/graph_edit.h"

namespace qplay {
namespace {

constexpr double kSqrt2 = 1.4142135623730951;
constexpr double kSqrt2OverPi = 0.7978845608028654;

// Finds the patterns of decomposed_ops.h. Each matcher starts at the node a pattern's shape
// hangs from (the Erf of a Gelu) and follows single readers and producers from there; a match
// whose intermediate values are read outside it, or that overlaps an earlier match, is dropped.
class Matcher {
 public:
  Matcher(const Model& model, FusedForms forms) : model_(model), graph_(model.graph), forms_(forms) {
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      for (const auto& out : graph_.nodes[i].outputs) producer_[out] = i;
      for (const auto& in : graph_.nodes[i].inputs) readers_[in].push_back(i);
    }
  }

  std::vector<DecomposedOp> FindAll() {
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      MatchLayerNormalization(i);
      MatchSoftmax(i);
    }
    // Smaller patterns after the ones that may contain them (a LayerNormalization's variance
    // looks like an RMSNorm of its centred input).
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      MatchRmsNorm(i);
      MatchGelu(i);
      MatchHardSwish(i);
      MatchSilu(i);
    }
    std::sort(found_.begin(), found_.end(), [](const DecomposedOp& a, const DecomposedOp& b) { return a.nodes < b.nodes; });
    return std::move(found_);
  }

 private:
  const Node& At(size_t i) const { return graph_.nodes[i]; }
  const std::string& Out(size_t i) const { return graph_.nodes[i].outputs[0]; }

  const std::vector<size_t>& Readers(const std::string& value) const {
    static const std::vector<size_t> kNone;
    auto r = readers_.find(value);
    return r == readers_.end() ? kNone : r->second;
  }
  // The node that writes `value`, when it is `op`.
  std::optional<size_t> Producer(const std::string& value, OpType op) const {
    auto p = producer_.find(value);
    if (p == producer_.end() || !IsOp(At(p->second), op)) return std::nullopt;
    return p->second;
  }
  // The only node that reads `value`, when it is `op`.
  std::optional<size_t> OnlyReader(const std::string& value, OpType op) const {
    const auto& r = Readers(value);
    if (r.size() != 1 || !IsOp(At(r[0]), op)) return std::nullopt;
    return r[0];
  }
  // The input of a two-input node that is not `value` ("" when neither or both are).
  static std::string Other(const Node& node, const std::string& value) {
    if (node.inputs.size() != 2 || node.inputs[0] == node.inputs[1]) return "";
    return node.inputs[0] == value ? node.inputs[1] : node.inputs[1] == value ? node.inputs[0] : "";
  }

  // A constant: an initializer (the loader made Constant nodes initializers).
  const Tensor* Constant(const std::string& name) const {
    auto init = graph_.initializers.find(name);
    return init != graph_.initializers.end() ? &init->second : nullptr;
  }
  std::optional<double> Scalar(const std::string& name) const {
    const Tensor* t = Constant(name);
    if (!t || t->size() != 1 || (t->dtype() != DataType::kFloat && t->dtype() != DataType::kDouble)) return std::nullopt;
    return t->GetAsDouble(0);
  }
  bool ScalarNear(const std::string& name, double target) const {
    auto v = Scalar(name);
    return v && std::abs(*v - target) <= 1e-4 * std::max(1.0, std::abs(target));
  }
  bool IsFloatVector(const std::string& name) const {
    const Tensor* t = Constant(name);
    return t && t->rank() == 1 && t->dtype() == DataType::kFloat;
  }

  // Reduces over the last axis alone and keeps it (axes as an attribute, or as an input from opset 18).
  bool ReducesLastAxis(const Node& node) const {
    if (node.GetInt("keepdims", 1) != 1) return false;
    std::vector<int64_t> axes = node.GetInts("axes");
    if (node.inputs.size() > 1 && !node.inputs[1].empty()) {
      const Tensor* t = Constant(node.inputs[1]);
      if (!t || t->size() != 1) return false;
      axes = {t->GetAsInt64(0)};
    }
    if (axes.size() != 1) return false;
    if (axes[0] == -1) return true;
    const ValueType* x = graph_.TypeOf(node.inputs[0]);
    return x && x->shape && axes[0] == static_cast<int64_t>(x->shape->size()) - 1;
  }
  int64_t Opset() const { return model_.DefaultOpset(); }

  Node Fused(OpType op, size_t last, std::vector<std::string> inputs, std::map<std::string, Attribute> attributes) const {
    Node node = MakeNode(op, At(last).name, std::move(inputs), {Out(last)});
    node.attributes = std::move(attributes);
    return node;
  }

  // Keeps a match when it overlaps none found before and only its last node's output is read
  // outside it.
  void Keep(std::string_view op_type, std::vector<size_t> unit, const std::string& input, size_t last, std::optional<Node> fused) {
    const std::set<size_t> members(unit.begin(), unit.end());
    for (size_t i : unit) {
      if (claimed_.count(i)) return;
      for (const auto& out : At(i).outputs) {
        if (i == last) continue;
        if (IsGraphOutput(graph_, out)) return;
        for (size_t reader : Consumers(graph_, out))
          if (!members.count(reader)) return;
      }
    }
    std::sort(unit.begin(), unit.end());
    claimed_.insert(unit.begin(), unit.end());
    found_.push_back({std::string(op_type), std::move(unit), input, Out(last), std::move(fused)});
  }

  // Mean, centre, variance, normalize [, scale [, shift]].
  void MatchLayerNormalization(size_t mean) {
    if (!IsOp(At(mean), ops::kReduceMean) || !ReducesLastAxis(At(mean))) return;
    const std::string& x = At(mean).inputs[0];
    auto sub = OnlyReader(Out(mean), ops::kSub);
    if (!sub || At(*sub).inputs[0] != x) return;
    const std::string& centred = Out(*sub);
    std::optional<size_t> square, div;
    for (size_t r : Readers(centred)) {
      const Node& n = At(r);
      if ((IsOp(n, ops::kPow) && n.inputs[0] == centred && ScalarNear(n.inputs[1], 2)) ||
          (IsOp(n, ops::kMul) && n.inputs[0] == centred && n.inputs[1] == centred))
        square = r;
      else if (IsOp(n, ops::kDiv) && n.inputs[0] == centred)
        div = r;
    }
    if (Readers(centred).size() != 2 || !square || !div) return;
    auto variance = OnlyReader(Out(*square), ops::kReduceMean);
    if (!variance || !ReducesLastAxis(At(*variance))) return;
    auto add = OnlyReader(Out(*variance), ops::kAdd);
    if (!add) return;
    auto epsilon = Scalar(Other(At(*add), Out(*variance)));
    auto sqrt = OnlyReader(Out(*add), ops::kSqrt);
    if (!epsilon || !sqrt || At(*div).inputs[1] != Out(*sqrt)) return;
    std::vector<size_t> unit{mean, *sub, *square, *variance, *add, *sqrt, *div};
    size_t last = *div;
    std::string scale, shift;
    if (auto mul = OnlyReader(Out(last), ops::kMul); mul && IsFloatVector(Other(At(*mul), Out(last)))) {
      scale = Other(At(*mul), Out(last));
      unit.push_back(last = *mul);
      if (auto plus = OnlyReader(Out(last), ops::kAdd); plus && IsFloatVector(Other(At(*plus), Out(last)))) {
        shift = Other(At(*plus), Out(last));
        unit.push_back(last = *plus);
      }
    }
    std::optional<Node> fused;
    if ((Opset() >= 17 || forms_ == FusedForms::kSession) && !scale.empty()) {
      std::vector<std::string> inputs{x, scale};
      if (!shift.empty()) inputs.push_back(shift);
      fused = Fused(ops::kLayerNormalization, last, inputs,
                    {{"axis", Attribute::Int(-1)}, {"epsilon", Attribute::Float(static_cast<float>(*epsilon))}});
    }
    Keep(ops::kLayerNormalization.type, unit, x, last, fused);
  }

  // x / sqrt(mean(x^2) + eps) [* scale]; no ai.onnx op before opset 23 computes it.
  void MatchRmsNorm(size_t square) {
    const Node& sq = At(square);
    if (!((IsOp(sq, ops::kPow) && ScalarNear(sq.inputs[1], 2)) || (IsOp(sq, ops::kMul) && sq.inputs[0] == sq.inputs[1]))) return;
    const std::string& x = sq.inputs[0];
    auto mean = OnlyReader(Out(square), ops::kReduceMean);
    if (!mean || !ReducesLastAxis(At(*mean))) return;
    auto add = OnlyReader(Out(*mean), ops::kAdd);
    if (!add || !Scalar(Other(At(*add), Out(*mean)))) return;
    auto sqrt = OnlyReader(Out(*add), ops::kSqrt);
    if (!sqrt) return;
    std::vector<size_t> unit{square, *mean, *add, *sqrt};
    size_t last;
    if (auto div = OnlyReader(Out(*sqrt), ops::kDiv); div && At(*div).inputs[0] == x) {
      unit.push_back(last = *div);
    } else {
      auto inverse = OnlyReader(Out(*sqrt), ops::kReciprocal);
      if (!inverse && div && ScalarNear(At(*div).inputs[0], 1)) inverse = div;
      if (!inverse) return;
      auto mul = OnlyReader(Out(*inverse), ops::kMul);
      if (!mul || Other(At(*mul), Out(*inverse)) != x) return;
      unit.push_back(*inverse);
      unit.push_back(last = *mul);
    }
    if (auto mul = OnlyReader(Out(last), ops::kMul); mul && IsFloatVector(Other(At(*mul), Out(last)))) unit.push_back(last = *mul);
    Keep("RMSNorm", unit, x, last, std::nullopt);
  }

  // x * 0.5 * (1 + Erf(x / sqrt 2)) or x * 0.5 * (1 + Tanh(sqrt(2 / pi) * (x + 0.044715 x^3))).
  void MatchGelu(size_t i) {
    std::vector<size_t> unit{i};
    std::string x;
    if (IsOp(At(i), ops::kErf)) {
      auto div = Producer(At(i).inputs[0], ops::kDiv);
      auto mul = Producer(At(i).inputs[0], ops::kMul);
      if (div && ScalarNear(At(*div).inputs[1], kSqrt2)) unit.push_back(*div);
      else if (mul && ScalarNear(At(*mul).inputs[1], 1 / kSqrt2)) unit.push_back(*mul);
      else return;
      x = At(unit.back()).inputs[0];
    } else if (IsOp(At(i), ops::kTanh)) {
      auto scaled = Producer(At(i).inputs[0], ops::kMul);
      if (!scaled || !ScalarNear(At(*scaled).inputs[1], kSqrt2OverPi)) return;
      auto sum = Producer(At(*scaled).inputs[0], ops::kAdd);
      if (!sum) return;
      for (const std::string& term : At(*sum).inputs) {
        auto cubic = Producer(term, ops::kMul);
        auto cube = cubic ? Producer(At(*cubic).inputs[0], ops::kPow) : std::nullopt;
        if (!cube || !ScalarNear(At(*cubic).inputs[1], 0.044715) || !ScalarNear(At(*cube).inputs[1], 3)) continue;
        x = At(*cube).inputs[0];
        if (Other(At(*sum), term) != x) return;
        unit.insert(unit.end(), {*scaled, *sum, *cubic, *cube});
      }
      if (x.empty()) return;
    } else {
      return;
    }
    auto one_plus = OnlyReader(Out(i), ops::kAdd);
    if (!one_plus || !ScalarNear(Other(At(*one_plus), Out(i)), 1)) return;
    auto product = OnlyReader(Out(*one_plus), ops::kMul);
    if (!product) return;
    unit.insert(unit.end(), {*one_plus, *product});
    const std::string factor = Other(At(*product), Out(*one_plus));
    size_t last = *product;
    if (factor == x) {  // (x * (1 + erf)) * 0.5
      auto half = OnlyReader(Out(*product), ops::kMul);
      if (!half || !ScalarNear(Other(At(*half), Out(*product)), 0.5)) return;
      unit.push_back(last = *half);
    } else {  // (x * 0.5) * (1 + erf)
      auto half = Producer(factor, ops::kMul);
      if (!half || Other(At(*half), x).empty() || !ScalarNear(Other(At(*half), x), 0.5)) return;
      unit.push_back(*half);
    }
    std::optional<Node> fused;
    if (Opset() >= 20)
      fused = Fused(ops::kGelu, last, {x}, {{"approximate", Attribute::String(IsOp(At(i), ops::kErf) ? "none" : "tanh")}});
    else if (forms_ == FusedForms::kSession && IsOp(At(i), ops::kErf))
      fused = Fused(ops::kMicrosoftGelu, last, {x}, {});
    Keep(ops::kGelu.type, unit, x, last, fused);
  }

  // Exp(x - ReduceMax(x)) / ReduceSum(Exp(...)) over the last axis.
  void MatchSoftmax(size_t max) {
    if (!IsOp(At(max), ops::kReduceMax) || !ReducesLastAxis(At(max))) return;
    const std::string& x = At(max).inputs[0];
    auto sub = OnlyReader(Out(max), ops::kSub);
    if (!sub || At(*sub).inputs[0] != x) return;
    auto exp = OnlyReader(Out(*sub), ops::kExp);
    if (!exp || Readers(Out(*exp)).size() != 2) return;
    std::optional<size_t> sum, div;
    for (size_t r : Readers(Out(*exp))) {
      if (IsOp(At(r), ops::kReduceSum) && ReducesLastAxis(At(r))) sum = r;
      if (IsOp(At(r), ops::kDiv) && At(r).inputs[0] == Out(*exp)) div = r;
    }
    if (!sum || !div || At(*div).inputs[1] != Out(*sum)) return;
    Keep(ops::kSoftmax.type, {max, *sub, *exp, *sum, *div}, x, *div, Fused(ops::kSoftmax, *div, {x}, {{"axis", Attribute::Int(-1)}}));
  }

  // x * HardSigmoid(x) with alpha 1/6 and beta 0.5, or x * Clip(x + 3, 0, 6) / 6 in either order.
  void MatchHardSwish(size_t i) {
    std::vector<size_t> unit{i};
    std::string x;
    size_t last;
    if (IsOp(At(i), ops::kHardSigmoid)) {
      if (std::abs(At(i).GetFloat("alpha", 0.2f) - 1.0 / 6) > 1e-4 || std::abs(At(i).GetFloat("beta", 0.5f) - 0.5) > 1e-4) return;
      x = At(i).inputs[0];
      auto mul = OnlyReader(Out(i), ops::kMul);
      if (!mul || Other(At(*mul), Out(i)) != x) return;
      unit.push_back(last = *mul);
    } else if (IsOp(At(i), ops::kAdd)) {
      for (const std::string& in : At(i).inputs)
        if (ScalarNear(in, 3)) x = Other(At(i), in);
      auto clip = OnlyReader(Out(i), ops::kClip);
      if (x.empty() || !clip) return;
      const auto range = ClampRange(At(*clip), Opset(), [&](const std::string& name) { return Constant(name); });
      if (!range || range->first != 0 || range->second != 6) return;
      unit.push_back(*clip);
      auto scaling = [&](const std::string& value) -> std::optional<size_t> {
        auto div = OnlyReader(value, ops::kDiv);
        if (div && At(*div).inputs[0] == value && ScalarNear(At(*div).inputs[1], 6)) return div;
        auto mul = OnlyReader(value, ops::kMul);
        if (mul && ScalarNear(Other(At(*mul), value), 1.0 / 6)) return mul;
        return std::nullopt;
      };
      auto times_x = [&](const std::string& value) -> std::optional<size_t> {
        auto mul = OnlyReader(value, ops::kMul);
        return mul && Other(At(*mul), value) == x ? mul : std::nullopt;
      };
      if (auto scaled = scaling(Out(*clip)), product = scaled ? times_x(Out(*scaled)) : std::nullopt; product) {
        unit.insert(unit.end(), {*scaled, last = *product});
      } else if (auto product2 = times_x(Out(*clip)), scaled2 = product2 ? scaling(Out(*product2)) : std::nullopt; scaled2) {
        unit.insert(unit.end(), {*product2, last = *scaled2});
      } else {
        return;
      }
    } else {
      return;
    }
    Keep(ops::kHardSwish.type, unit, x, last, Opset() >= 14 ? std::optional<Node>(Fused(ops::kHardSwish, last, {x}, {})) : std::nullopt);
  }

  // x * Sigmoid(x); no ai.onnx op computes it.
  void MatchSilu(size_t sigmoid) {
    if (!IsOp(At(sigmoid), ops::kSigmoid)) return;
    auto mul = OnlyReader(Out(sigmoid), ops::kMul);
    if (!mul || Other(At(*mul), Out(sigmoid)) != At(sigmoid).inputs[0]) return;
    Keep("SiLU", {sigmoid, *mul}, At(sigmoid).inputs[0], *mul, std::nullopt);
  }

  const Model& model_;
  const Graph& graph_;
  FusedForms forms_;
  std::map<std::string, size_t> producer_;
  std::map<std::string, std::vector<size_t>> readers_;
  std::set<size_t> claimed_;
  std::vector<DecomposedOp> found_;
};

}  // namespace

std::vector<DecomposedOp> FindDecomposedOps(const Model& model, FusedForms forms) { return Matcher(model, forms).FindAll(); }

Result<PassReport> FuseDecomposedOps(Model& model, FusedForms forms) {
  PassReport report{"fuse decomposed ops", {}};
  std::vector<bool> removed(model.graph.nodes.size());
  std::map<size_t, Node> replaced;  // the last node of each fused op -> the fused node
  for (DecomposedOp& op : FindDecomposedOps(model, forms)) {
    if (!op.fused) continue;
    report.changes.push_back(Message(op.nodes.size(), " nodes from ", model.graph.nodes[op.nodes.front()].Describe(), " to ",
                                     model.graph.nodes[op.nodes.back()].Describe(), " fused into ", op.op_type));
    for (size_t i : op.nodes) removed[i] = true;
    if (!op.fused->domain.empty()) ImportDomain(model, op.fused->domain);
    replaced[op.nodes.back()] = std::move(*op.fused);
  }
  if (replaced.empty()) return report;
  std::vector<Node> nodes;
  for (size_t i = 0; i < model.graph.nodes.size(); ++i) {
    auto fused = replaced.find(i);
    if (fused != replaced.end()) nodes.push_back(std::move(fused->second));
    else if (!removed[i]) nodes.push_back(std::move(model.graph.nodes[i]));
  }
  model.graph.nodes = std::move(nodes);
  QPLAY_RETURN_IF_ERROR(FinishRewrite(model));
  return report;
}

}  // namespace qplay
