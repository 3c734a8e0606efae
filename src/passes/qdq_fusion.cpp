#include "passes/qdq_fusion.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "kernels/kernel.h"
#include "ops/conv.h"
#include "ops/elementwise.h"
#include "ops/matmul.h"
#include "ops/pool.h"
#include "ops/qlinear_contrib.h"
#include "ops/quantize.h"
#include "ops/schema.h"
#include "ops/shape_ops.h"
#include "passes/graph_edit.h"

namespace qplay {
namespace {

// What the op schemas say of a float op: its QLinear form, whether it only moves elements.
const QuantFacts* FactsOf(const Node& node) {
  const OpSchema* schema = SchemaRegistry::Get().Latest(node.domain, node.op_type);
  return schema ? &schema->quant() : nullptr;
}

// QLinear ops whose float semantics changed between opsets carry the ai.onnx opset they follow.
bool TakesOpsetAttribute(OpType qlinear_op) {
  const OpSchema* schema = SchemaRegistry::Get().Latest(std::string(qlinear_op.domain), std::string(qlinear_op.type));
  if (!schema) return false;
  const auto& attrs = schema->attributes();
  return std::any_of(attrs.begin(), attrs.end(), [](const AttrSpec& a) { return a.name == "opset"; });
}

// A value that a DequantizeLinear produces, described by that node's inputs.
struct Operand {
  std::string value, scale, zero_point;  // zero_point "" when absent (int32 biases)
  int64_t channels = 1;                  // number of scales
  int64_t axis = 1;                      // DequantizeLinear's axis, for per-channel weights
  bool constant = false;                 // the quantized value is an initializer
};

class Rewriter {
 public:
  explicit Rewriter(Model& model) : model_(model), graph_(model.graph) {
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      for (const auto& out : graph_.nodes[i].outputs) producer_[out] = i;
      for (const auto& in : ValuesRead(graph_.nodes[i])) consumers_[in].push_back(i);
    }
  }

  Result<std::vector<std::string>> Run() {
    std::vector<std::string> converted;
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      std::vector<size_t> absorbed;  // QuantizeLinear nodes the new node replaces
      std::optional<Node> replacement = Convert(graph_.nodes[i], absorbed);
      if (!replacement) continue;
      converted.push_back(graph_.nodes[i].name);
      if (!replacement->domain.empty()) model_.opsets[replacement->domain] = 1;
      graph_.nodes[i] = std::move(*replacement);
      removed_.insert(absorbed.begin(), absorbed.end());
    }
    std::vector<Node> kept;
    for (size_t i = 0; i < graph_.nodes.size(); ++i)
      if (!removed_.count(i)) kept.push_back(std::move(graph_.nodes[i]));
    graph_.nodes = std::move(kept);
    RemoveUnreadDequantizeNodes();
    RemoveUnusedInitializers(graph_);
    ForgetRemovedValues();
    QPLAY_RETURN_IF_ERROR(TopologicalSort(graph_));
    return converted;
  }

 private:
  std::optional<Node> Convert(const Node& node, std::vector<size_t>& absorbed) const {
    if (!node.domain.empty() || node.outputs.empty()) return std::nullopt;
    if (IsOp(node, ops::kConv)) return ConvertConv(node, absorbed);
    if (IsOp(node, ops::kMatMul)) return ConvertMatMul(node, absorbed);
    if (IsOp(node, ops::kGemm)) return ConvertGemm(node, absorbed);
    if (IsOp(node, ops::kConcat)) return ConvertConcat(node, absorbed);
    if (IsOp(node, ops::kWhere)) return ConvertWhere(node, absorbed);
    const QuantFacts* facts = FactsOf(node);
    if (!facts) return std::nullopt;
    if (!facts->qlinear_form.type.empty())
      return node.inputs.size() == 2 ? ConvertBinary(node, facts->qlinear_form, absorbed)
                                     : ConvertUnary(node, facts->qlinear_form, absorbed);
    if (SharesInputParamsAt(*facts, graph_, node)) return ConvertDataMovement(node, absorbed);
    return std::nullopt;
  }

  // QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp[, int32 bias]).
  std::optional<Node> ConvertConv(const Node& node, std::vector<size_t>& absorbed) const {
    auto x = Activation(node.inputs[0]);
    auto w = node.inputs.size() > 1 ? Dequantized(node.inputs[1]) : std::nullopt;
    auto y = SoleQuantize(node.outputs[0]);
    if (!x || !w || !w->constant || (w->channels > 1 && w->axis != 0) || !y) return std::nullopt;
    // ONNX Runtime's QLinearConv takes per-channel weights only with one shared zero point.
    if (!AllEqual(graph_.initializers.at(w->zero_point))) return std::nullopt;
    std::vector<std::string> inputs = Triple(*x);
    Append(inputs, Triple(*w));
    Append(inputs, OutputParams(*y));
    if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
      auto bias = Int32Bias(node.inputs[2]);
      if (!bias) return std::nullopt;
      inputs.push_back(bias->value);
    }
    absorbed.push_back(*y);
    return Make(node, ops::kQLinearConv, inputs, {Output(*y)});
  }

  // QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp); per-column b for 2-D B only.
  std::optional<Node> ConvertMatMul(const Node& node, std::vector<size_t>& absorbed) const {
    auto a = Activation(node.inputs[0]);
    auto b = Dequantized(node.inputs[1]);
    auto y = SoleQuantize(node.outputs[0]);
    if (!a || !b || !y) return std::nullopt;
    if (b->channels > 1 && !(b->constant && graph_.initializers.at(b->value).rank() == 2 && b->axis == 1))
      return std::nullopt;
    std::vector<std::string> inputs = Triple(*a);
    Append(inputs, Triple(*b));
    Append(inputs, OutputParams(*y));
    absorbed.push_back(*y);
    return Make(node, ops::kQLinearMatMul, inputs, {Output(*y)});
  }

  // com.microsoft QGemm(a, a_scale, a_zp, b, b_scale, b_zp, C[, y_scale, y_zp]): without the
  // output parameters it returns float, which keeps a float graph output exact.
  std::optional<Node> ConvertGemm(const Node& node, std::vector<size_t>& absorbed) const {
    auto a = Activation(node.inputs[0]);
    auto b = Dequantized(node.inputs[1]);
    if (!a || !b || !b->constant || node.GetInt("transA", 0)) return std::nullopt;
    const int64_t column_axis = node.GetInt("transB", 0) ? 0 : 1;
    if (b->channels > 1 && b->axis != column_axis) return std::nullopt;
    std::vector<std::string> inputs = Triple(*a);
    Append(inputs, Triple(*b));
    const bool has_bias = node.inputs.size() > 2 && !node.inputs[2].empty();
    if (has_bias) {
      // QGemm adds C at scale alpha x a_scale x b_scale; the QDQ bias is at a_scale x b_scale times beta.
      auto bias = Int32Bias(node.inputs[2]);
      if (!bias || node.GetFloat("alpha", 1.0f) != node.GetFloat("beta", 1.0f)) return std::nullopt;
      inputs.push_back(bias->value);
    } else {
      inputs.push_back("");
    }
    Node gemm = Make(node, ops::kQGemm, inputs, {node.outputs[0]});
    gemm.attributes.erase("beta");
    if (auto y = SoleQuantize(node.outputs[0])) {
      Append(gemm.inputs, OutputParams(*y));
      gemm.outputs = {Output(*y)};
      absorbed.push_back(*y);
    }
    return gemm;
  }

  // com.microsoft QLinearConcat(Y_scale, Y_zp, then (X, X_scale, X_zp) per input).
  std::optional<Node> ConvertConcat(const Node& node, std::vector<size_t>& absorbed) const {
    auto y = SoleQuantize(node.outputs[0]);
    if (!y) return std::nullopt;
    std::vector<std::string> inputs = OutputParams(*y);
    for (const auto& in : node.inputs) {
      auto x = Activation(in);
      if (!x) return std::nullopt;
      Append(inputs, Triple(*x));
    }
    absorbed.push_back(*y);
    return Make(node, ops::kQLinearConcat, inputs, {Output(*y)});
  }

  // com.microsoft QLinearWhere(condition, x triple, y triple, z_scale, z_zp): x, y and z of one 8-bit type.
  std::optional<Node> ConvertWhere(const Node& node, std::vector<size_t>& absorbed) const {
    auto x = Activation(node.inputs[1]);
    auto y = Activation(node.inputs[2]);
    auto z = SoleQuantize(node.outputs[0]);
    if (!x || !y || !z) return std::nullopt;
    const DataType type = graph_.initializers.at(graph_.nodes[*z].inputs[2]).dtype();
    if (graph_.initializers.at(x->zero_point).dtype() != type || graph_.initializers.at(y->zero_point).dtype() != type)
      return std::nullopt;
    std::vector<std::string> inputs = {node.inputs[0]};
    Append(inputs, Triple(*x));
    Append(inputs, Triple(*y));
    Append(inputs, OutputParams(*z));
    absorbed.push_back(*z);
    return Make(node, ops::kQLinearWhere, inputs, {Output(*z)});
  }

  std::optional<Node> ConvertUnary(const Node& node, OpType qlinear_op, std::vector<size_t>& absorbed) const {
    auto x = Activation(node.inputs[0]);
    auto y = SoleQuantize(node.outputs[0]);
    if (!x || !y || node.outputs.size() != 1) return std::nullopt;
    std::vector<std::string> inputs = Triple(*x);
    Append(inputs, OutputParams(*y));
    absorbed.push_back(*y);
    Node q = Make(node, qlinear_op, inputs, {Output(*y)});
    if (TakesOpsetAttribute(qlinear_op)) q.attributes["opset"] = Attribute::Int(model_.DefaultOpset());  // its axis rule
    return q;
  }

  std::optional<Node> ConvertBinary(const Node& node, OpType qlinear_op, std::vector<size_t>& absorbed) const {
    auto a = Activation(node.inputs[0]);
    auto b = Activation(node.inputs[1]);
    auto y = SoleQuantize(node.outputs[0]);
    if (!a || !b || !y) return std::nullopt;
    std::vector<std::string> inputs = Triple(*a);
    Append(inputs, Triple(*b));
    Append(inputs, OutputParams(*y));
    absorbed.push_back(*y);
    return Make(node, qlinear_op, inputs, {Output(*y)});
  }

  // The same op on the 8-bit tensor, when every output is requantized with the input's parameters.
  std::optional<Node> ConvertDataMovement(const Node& node, std::vector<size_t>& absorbed) const {
    // ai.onnx MaxPool takes 8-bit tensors from opset 12; its Indices output has no quantized form.
    if (IsOp(node, ops::kMaxPool) && (model_.DefaultOpset() < 12 || (node.outputs.size() > 1 && !node.outputs[1].empty())))
      return std::nullopt;
    // Pad takes 8-bit tensors from opset 11, where the padding value became an input.
    if (IsOp(node, ops::kPad) && model_.DefaultOpset() < 11) return std::nullopt;
    auto x = Activation(node.inputs[0]);
    if (!x) return std::nullopt;
    Node moved = node;
    moved.inputs[0] = x->value;
    if (IsOp(node, ops::kPad) && node.GetString("mode", "constant") == "constant") {
      moved.inputs.resize(std::max<size_t>(moved.inputs.size(), 3));
      moved.inputs[2] = x->zero_point;  // the padding value is 0 (SharesInputParamsAt)
    }
    for (auto& out : moved.outputs) {
      auto y = SoleQuantize(out);
      if (!y || !SameParams(*x, graph_.nodes[*y])) return std::nullopt;
      out = Output(*y);
      absorbed.push_back(*y);
    }
    return moved;
  }

  // The DequantizeLinear behind `value`, or nullopt when `value` is not dequantized.
  std::optional<Operand> Dequantized(const std::string& value) const {
    auto p = producer_.find(value);
    if (value.empty() || p == producer_.end()) return std::nullopt;
    const Node& dq = graph_.nodes[p->second];
    if (!IsDequantizeLinear(dq) || !dq.domain.empty() || removed_.count(p->second)) return std::nullopt;
    auto scale = graph_.initializers.find(dq.inputs[1]);
    if (scale == graph_.initializers.end()) return std::nullopt;
    Operand o{dq.inputs[0], dq.inputs[1], dq.inputs.size() > 2 ? dq.inputs[2] : "", scale->second.size(),
              dq.GetInt("axis", 1), graph_.IsInitializer(dq.inputs[0])};
    if (!o.zero_point.empty() && !graph_.IsInitializer(o.zero_point)) return std::nullopt;
    if (!InQLinearType(o)) return std::nullopt;
    const Tensor* q = graph_.IsInitializer(o.value) ? &graph_.initializers.at(o.value) : nullptr;
    if (q && o.channels > 1 && !NormalizeAxis(o.axis, q->rank())) return std::nullopt;
    return o;
  }

  // QLinear ops take 8-bit values and int32 biases; 16- and 4-bit Q/DQ (opset 21) stay as they are.
  bool InQLinearType(const Operand& o) const {
    const ValueType* type = graph_.TypeOf(o.value);
    const DataType t = !o.zero_point.empty() ? graph_.initializers.at(o.zero_point).dtype()
                       : o.constant          ? graph_.initializers.at(o.value).dtype()
                       : type                ? type->dtype
                                             : DataType::kUndefined;
    return t == DataType::kInt8 || t == DataType::kUint8 || t == DataType::kInt32;
  }

  // A dequantized activation with one scale and a zero point (what QLinear ops take).
  std::optional<Operand> Activation(const std::string& value) const {
    auto o = Dequantized(value);
    if (!o || o->channels != 1 || o->zero_point.empty()) return std::nullopt;
    return o;
  }

  std::optional<Operand> Int32Bias(const std::string& value) const {
    auto o = Dequantized(value);
    if (!o || !o->constant || !o->zero_point.empty() || graph_.initializers.at(o->value).dtype() != DataType::kInt32)
      return std::nullopt;
    return o;
  }

  // The QuantizeLinear node that is the only reader of `value`, with a zero point.
  std::optional<size_t> SoleQuantize(const std::string& value) const {
    auto readers = consumers_.find(value);
    if (readers == consumers_.end() || readers->second.size() != 1 || IsGraphOutput(graph_, value)) return std::nullopt;
    const size_t i = readers->second[0];
    const Node& q = graph_.nodes[i];
    if (!IsQuantizeLinear(q) || !q.domain.empty() || q.inputs.size() < 3 || removed_.count(i)) return std::nullopt;
    auto scale = graph_.initializers.find(q.inputs[1]);
    if (scale == graph_.initializers.end() || scale->second.size() != 1 || !graph_.IsInitializer(q.inputs[2]))
      return std::nullopt;
    const DataType type = graph_.initializers.at(q.inputs[2]).dtype();
    if (type != DataType::kInt8 && type != DataType::kUint8) return std::nullopt;
    return i;
  }

  bool SameParams(const Operand& x, const Node& q) const {
    return SameValues(graph_.initializers.at(x.scale), graph_.initializers.at(q.inputs[1])) &&
           SameValues(graph_.initializers.at(x.zero_point), graph_.initializers.at(q.inputs[2]));
  }

  static bool SameValues(const Tensor& a, const Tensor& b) {
    if (a.dtype() != b.dtype() || a.size() != b.size()) return false;
    for (int64_t i = 0; i < a.size(); ++i)
      if (a.GetAsDouble(i) != b.GetAsDouble(i)) return false;
    return true;
  }

  static bool AllEqual(const Tensor& t) {
    for (int64_t i = 1; i < t.size(); ++i)
      if (t.GetAsDouble(i) != t.GetAsDouble(0)) return false;
    return true;
  }

  static std::vector<std::string> Triple(const Operand& o) { return {o.value, o.scale, o.zero_point}; }
  std::vector<std::string> OutputParams(size_t q) const { return {graph_.nodes[q].inputs[1], graph_.nodes[q].inputs[2]}; }
  std::string Output(size_t q) const { return graph_.nodes[q].outputs[0]; }
  static void Append(std::vector<std::string>& to, const std::vector<std::string>& more) {
    to.insert(to.end(), more.begin(), more.end());
  }

  static Node Make(const Node& from, OpType op, std::vector<std::string> inputs, std::vector<std::string> outputs) {
    Node n = MakeNode(op, from.name.empty() ? "" : from.name + "_quant", std::move(inputs), std::move(outputs));
    n.attributes = from.attributes;
    n.doc_string = from.doc_string;
    return n;
  }

  // DequantizeLinear nodes whose readers all became integer operators.
  void RemoveUnreadDequantizeNodes() {
    std::set<std::string> read(graph_.outputs.begin(), graph_.outputs.end());
    for (const Node& node : graph_.nodes)
      for (const auto& name : ValuesRead(node)) read.insert(name);
    std::vector<Node> kept;
    for (Node& node : graph_.nodes)
      if (!IsDequantizeLinear(node) || read.count(node.outputs[0])) kept.push_back(std::move(node));
    graph_.nodes = std::move(kept);
  }

  void ForgetRemovedValues() {
    std::set<std::string> live(graph_.inputs.begin(), graph_.inputs.end());
    live.insert(graph_.outputs.begin(), graph_.outputs.end());
    for (const Node& node : graph_.nodes) live.insert(node.outputs.begin(), node.outputs.end());
    for (auto it = graph_.value_types.begin(); it != graph_.value_types.end();)
      it = live.count(it->first) || graph_.IsInitializer(it->first) ? std::next(it) : graph_.value_types.erase(it);
  }

  Model& model_;
  Graph& graph_;
  std::map<std::string, size_t> producer_;
  std::map<std::string, std::vector<size_t>> consumers_;
  std::set<size_t> removed_;
};

}  // namespace

Result<std::vector<std::string>> FuseQdqGroups(Model& model) { return Rewriter(model).Run(); }

}  // namespace qplay
