#include "passes/matmul_integer_fusion.h"

#include <algorithm>
#include <map>
#include <optional>

#include "ops/elementwise.h"
#include "ops/matmul.h"
#include "ops/tensor_ops.h"
#include "passes/graph_edit.h"

namespace qplay {
namespace {

constexpr int64_t kOnnxFloat = 1;

class Fuser {
 public:
  explicit Fuser(const Graph& graph) : graph_(graph) {
    for (size_t i = 0; i < graph_.nodes.size(); ++i)
      for (const auto& out : graph_.nodes[i].outputs) producer_[out] = i;
  }

  // The fused node for the MatMulInteger at `i`, and the nodes it replaces; nullopt when what
  // follows is not the Cast and scale Mul (or the scales are not one per tensor and a constant
  // per tensor or per column).
  std::optional<Node> Match(size_t i, std::vector<size_t>& replaced) const {
    const Node& matmul = graph_.nodes[i];
    auto cast = OnlyReader(matmul.outputs[0], ops::kCast);
    if (!cast || graph_.nodes[*cast].GetInt("to", 0) != kOnnxFloat) return std::nullopt;
    const std::string& as_float = graph_.nodes[*cast].outputs[0];
    auto mul = OnlyReader(as_float, ops::kMul);
    if (!mul) return std::nullopt;
    const Node& scaling = graph_.nodes[*mul];
    if (scaling.inputs[0] == scaling.inputs[1]) return std::nullopt;
    const std::string& scale = scaling.inputs[0] == as_float ? scaling.inputs[1] : scaling.inputs[0];
    auto product = producer_.find(scale);
    if (product == producer_.end() || !IsOp(graph_.nodes[product->second], ops::kMul)) return std::nullopt;
    const Node& scales = graph_.nodes[product->second];
    // a_scale is computed (DynamicQuantizeLinear's), b_scale a constant.
    const Tensor* constant[2] = {FloatInitializer(graph_, scales, 0), FloatInitializer(graph_, scales, 1)};
    if (!constant[0] == !constant[1]) return std::nullopt;
    const size_t b_index = constant[0] ? 0 : 1;
    if (!PerColumn(*constant[b_index]) || !IsScalar(scales.inputs[1 - b_index])) return std::nullopt;
    std::vector<std::string> inputs{matmul.inputs[0], matmul.inputs[1], scales.inputs[1 - b_index], scales.inputs[b_index]};
    for (size_t zp : {2, 3}) inputs.push_back(zp < matmul.inputs.size() ? matmul.inputs[zp] : "");
    replaced = {i, *cast, *mul};
    if (OnlyReader(scale, ops::kMul)) replaced.push_back(product->second);
    return MakeNode(ops::kMatMulIntegerToFloat, matmul.name, inputs, {scaling.outputs[0]});
  }

 private:
  std::optional<size_t> OnlyReader(const std::string& value, OpType op) const {
    if (IsGraphOutput(graph_, value)) return std::nullopt;
    const std::vector<size_t> readers = Consumers(graph_, value);
    if (readers.size() != 1 || !IsOp(graph_.nodes[readers[0]], op)) return std::nullopt;
    return readers[0];
  }

  // One value, or one per column of the product: every axis but the last of size 1.
  static bool PerColumn(const Tensor& scale) {
    for (int64_t axis = 0; axis + 1 < scale.rank(); ++axis)
      if (scale.dim(axis) != 1) return false;
    return true;
  }

  bool IsScalar(const std::string& value) const {
    const ValueType* type = graph_.TypeOf(value);
    return type && type->shape &&
           std::all_of(type->shape->begin(), type->shape->end(), [](const Dim& d) { return d.known() && *d.value == 1; });
  }

  const Graph& graph_;
  std::map<std::string, size_t> producer_;
};

}  // namespace

Result<PassReport> FuseMatMulIntegerToFloat(Model& model) {
  PassReport report{"fuse MatMulInteger, Cast and scale Mul", {}};
  Graph& graph = model.graph;
  const Fuser fuser(graph);
  std::vector<bool> removed(graph.nodes.size());
  std::map<size_t, Node> fused;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (!IsOp(graph.nodes[i], ops::kMatMulInteger)) continue;
    std::vector<size_t> replaced;
    auto node = fuser.Match(i, replaced);
    if (!node) continue;
    report.changes.push_back(Message(graph.nodes[i].Describe(), " and its Cast and scale Mul fused into MatMulIntegerToFloat"));
    for (size_t r : replaced) removed[r] = true;
    fused[i] = std::move(*node);
  }
  if (fused.empty()) return report;
  std::vector<Node> kept;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (auto f = fused.find(i); f != fused.end()) kept.push_back(std::move(f->second));
    else if (!removed[i]) kept.push_back(std::move(graph.nodes[i]));
  }
  graph.nodes = std::move(kept);
  ImportDomain(model, std::string(kMicrosoftDomain));
  QPLAY_RETURN_IF_ERROR(FinishRewrite(model));
  return report;
}

}  // namespace qplay
