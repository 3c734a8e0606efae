// The graph quantization-aware training runs: the prepared model node by node, forward and
// backward, with fake quantization on the activations the static quantizer quantizes (their
// calibrated parameters, or learned scales under LSQ) and on the weights of quantized nodes
// (per tensor or per channel from their current range), holding the trainable parameters.
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "quant/qdq_writer.h"
#include "quant/qparams.h"
#include "quant/static_quantizer.h"
#include "train/layers.h"

namespace qplay::train {

// A trainable constant: its value, gradient and optimizer state.
struct Parameter {
  Tensor value, grad, first, second;  // first/second: momentum, or Adam's moments
};

// A weight fake-quantized per tensor or per channel along `axis` from its current range.
struct WeightQuant {
  int64_t axis = -1;
  TensorFormat format;
};

inline FakeQuant FakeQuantOf(const QParams& p, const QuantRange& range) { return {p.scale, p.zero_point, range.qmin, range.qmax}; }

// The weight as the forward pass sees it, and the mask of elements whose gradient passes.
inline Tensor QuantizeWeight(const Tensor& w, const WeightQuant& q, Tensor& mask) {
  const int64_t channels = q.axis >= 0 ? w.dim(q.axis) : 1;
  int64_t inner = 1;
  for (int64_t d = q.axis + 1; q.axis >= 0 && d < w.rank(); ++d) inner *= w.dim(d);
  auto channel = [&](int64_t i) { return q.axis >= 0 ? (i / inner) % channels : 0; };
  std::vector<float> lo(channels, 0.0f), hi(channels, 0.0f);
  for (int64_t i = 0; i < w.size(); ++i) {
    lo[channel(i)] = std::min(lo[channel(i)], w.data<float>()[i]);
    hi[channel(i)] = std::max(hi[channel(i)], w.data<float>()[i]);
  }
  std::vector<FakeQuant> params;
  for (int64_t c = 0; c < channels; ++c) params.push_back(FakeQuantOf(ComputeQParams(lo[c], hi[c], q.format.range, q.format.symmetric), q.format.range));
  Tensor out(DataType::kFloat, w.shape());
  mask = Tensor(DataType::kFloat, w.shape());
  for (int64_t i = 0; i < w.size(); ++i) {
    bool passes;
    out.data<float>()[i] = FakeQuantOne(w.data<float>()[i], params[channel(i)], passes);
    mask.data<float>()[i] = passes ? 1.0f : 0.0f;
  }
  return out;
}

// The prepared graph run forward and backward, node by node, with fake quantization.
class TrainingGraph {
 public:
  // The parameter holding an activation's learned scale (LSQ).
  static std::string LearnedScale(const std::string& activation) { return "lsq:" + activation; }

  static Result<TrainingGraph> Create(const Model& prepared, const QuantizationResult& calibrated, const QuantizationConfig& config,
                                      bool lsq) {
    TrainingGraph t;
    t.graph_ = &prepared.graph;
    if (prepared.graph.inputs.size() != 1 || prepared.graph.outputs.size() != 1)
      return Fail(StatusCode::kUnsupported, "quantization-aware training needs one input and one output; the model has ",
                  prepared.graph.inputs.size(), " and ", prepared.graph.outputs.size());
    static const std::set<std::string> kSupported = {"Conv", "Gemm", "Relu", "Clip", "MaxPool", "GlobalAveragePool", "Add", "Flatten", "Reshape"};
    for (const Node& n : prepared.graph.nodes)
      if (!n.domain.empty() || !kSupported.count(n.op_type))
        return Fail(StatusCode::kUnsupported, "node '", n.name, "' (", n.op_type, "): quantization-aware training does not support ", n.op_type,
                    " yet (it trains Conv, Gemm, Relu, Clip, MaxPool, GlobalAveragePool, Add, Flatten and Reshape)");
    auto activation = FormatFor(config.activation_type, config.activation_symmetric, false);
    auto weight = FormatFor(config.weight_type, config.weight_symmetric, config.reduce_range);
    if (!activation.ok() || !weight.ok()) return activation.ok() ? weight.status() : activation.status();
    for (const auto& [name, p] : calibrated.activations) {
      t.activation_quant_[name] = FakeQuantOf(p, activation->range);
      if (lsq) t.params_[LearnedScale(name)].value = Tensor::FromVector<float>({1}, {p.scale});
    }
    const std::set<std::string> quantized(calibrated.quantized_nodes.begin(), calibrated.quantized_nodes.end());
    for (const Node& n : prepared.graph.nodes) {
      if (n.op_type != "Conv" && n.op_type != "Gemm") continue;
      for (size_t i = 1; i < n.inputs.size() && i <= 2; ++i)
        if (prepared.graph.IsInitializer(n.inputs[i])) t.params_[n.inputs[i]].value = prepared.graph.initializers.at(n.inputs[i]).Clone();
      if (quantized.count(n.name) && t.params_.count(n.inputs[1])) {
        const int64_t axis = !config.per_channel ? -1 : n.op_type == "Conv" || n.GetInt("transB", 0) ? 0 : 1;
        t.weight_quant_[n.inputs[1]] = {axis, *weight};
      }
    }
    return t;
  }

  const std::map<std::string, Parameter>& params() const { return params_; }
  std::map<std::string, Parameter>& params() { return params_; }

  // Logits of a batch; keeps what the backward pass needs.
  Result<Tensor> Forward(const Tensor& x) {
    values_.clear();
    pre_quant_.clear();
    argmax_.clear();
    weights_used_.clear();
    Store(graph_->inputs[0], x);
    for (const Node& n : graph_->nodes) {
      auto y = RunNode(n);
      if (!y.ok()) return y.status();
      Store(n.outputs[0], *y);
    }
    return values_.at(graph_->outputs[0]);
  }

  // Gradients of every parameter from the gradient of the logits (added to Parameter::grad).
  Status Backward(const Tensor& dlogits) {
    std::map<std::string, Tensor> grads{{graph_->outputs[0], dlogits}};
    for (auto it = graph_->nodes.rbegin(); it != graph_->nodes.rend(); ++it) {
      const Node& n = *it;
      auto found = grads.find(n.outputs[0]);
      if (found == grads.end()) continue;
      Tensor dy = found->second;
      auto pq = pre_quant_.find(n.outputs[0]);
      if (pq != pre_quant_.end()) {
        const FakeQuant q = ActivationQuant(n.outputs[0]);
        auto scale = params_.find(LearnedScale(n.outputs[0]));
        if (scale != params_.end()) {
          // LSQ's gradient scale 1 / sqrt(elements x qmax) keeps the step size's updates in proportion.
          const double g = 1.0 / std::sqrt(static_cast<double>(pq->second.size()) * std::max(1, q.qmax));
          const float grad = static_cast<float>(FakeQuantScaleGrad(pq->second, q, dy) * g);
          Tensor& acc = scale->second.grad;
          if (acc.empty()) acc = Tensor::FromVector<float>({1}, {grad});
          else acc.data<float>()[0] += grad;
        }
        dy = FakeQuantBackward(pq->second, q, dy);
      }
      QPLAY_RETURN_IF_ERROR(BackwardNode(n, dy, grads));
    }
    return Status::Ok();
  }

 private:
  // An activation's fake quantization: calibrated, with its learned scale under LSQ.
  FakeQuant ActivationQuant(const std::string& name) const {
    FakeQuant q = activation_quant_.at(name);
    auto scale = params_.find(LearnedScale(name));
    if (scale != params_.end()) q.scale = std::max(scale->second.value.data<float>()[0], 1e-8f);
    return q;
  }

  void Store(const std::string& name, const Tensor& value) {
    if (!activation_quant_.count(name)) {
      values_[name] = value;
      return;
    }
    pre_quant_[name] = value;
    values_[name] = FakeQuantForward(value, ActivationQuant(name));
  }

  const Tensor& In(const Node& n, size_t i) { return params_.count(n.inputs[i]) ? params_.at(n.inputs[i]).value : Value(n.inputs[i]); }
  const Tensor& Value(const std::string& name) {
    auto v = values_.find(name);
    return v != values_.end() ? v->second : graph_->initializers.at(name);
  }

  // The weight the forward pass multiplies by: fake-quantized when the node is quantized.
  const Tensor& Weight(const Node& n) {
    const std::string& name = n.inputs[1];
    auto q = weight_quant_.find(name);
    if (q == weight_quant_.end()) return In(n, 1);
    auto& used = weights_used_[name];
    used.first = QuantizeWeight(params_.at(name).value, q->second, used.second);
    return used.first;
  }

  // The weight the last forward pass multiplied by (backward reuses it).
  const Tensor& UsedWeight(const Node& n) {
    auto used = weights_used_.find(n.inputs[1]);
    return used != weights_used_.end() ? used->second.first : In(n, 1);
  }

  Result<Tensor> RunNode(const Node& n) {
    const Tensor& x = Value(n.inputs[0]);
    const Tensor bias = n.inputs.size() > 2 && !n.inputs[2].empty() ? In(n, 2) : Tensor();
    if (n.op_type == "Conv") return ConvForward(n, x, Weight(n), bias);
    if (n.op_type == "Gemm") return GemmForward(n, x.rank() == 2 ? x : x.Reshaped({x.dim(0), x.size() / x.dim(0)}), Weight(n), bias);
    if (n.op_type == "Relu") return ClampForward(x, 0.0f, std::numeric_limits<float>::infinity());
    if (n.op_type == "Clip") {
      const auto [lo, hi] = ClipRange(n);
      return ClampForward(x, lo, hi);
    }
    if (n.op_type == "MaxPool") return MaxPoolForward(n, x, argmax_[n.outputs[0]]);
    if (n.op_type == "GlobalAveragePool") return GlobalAveragePoolForward(x);
    if (n.op_type == "Add") {
      const Tensor& b = Value(n.inputs[1]);
      if (b.shape() != x.shape())
        return Fail(StatusCode::kUnsupported, "node '", n.name, "' (Add): training adds tensors of one shape, got ", ShapeToString(x.shape()),
                    " and ", ShapeToString(b.shape()));
      Tensor y = x.Clone();
      for (int64_t i = 0; i < y.size(); ++i) y.data<float>()[i] += b.data<float>()[i];
      return y;
    }
    // Flatten and Reshape keep the values; the next node's shape is what matters.
    if (n.op_type == "Flatten") return x.Reshaped({x.dim(0), x.size() / x.dim(0)});
    const Tensor& shape = Value(n.inputs[1]);
    Shape target;
    for (int64_t i = 0; i < shape.size(); ++i) target.push_back(shape.GetAsInt64(i) == 0 ? x.dim(i) : shape.GetAsInt64(i));
    for (int64_t& d : target)
      if (d == -1) d = x.size() / std::max<int64_t>(1, -std::accumulate(target.begin(), target.end(), int64_t{1}, std::multiplies<>()));
    return x.Reshaped(target);
  }

  std::pair<float, float> ClipRange(const Node& n) {
    const bool has_min = n.inputs.size() > 1 && !n.inputs[1].empty(), has_max = n.inputs.size() > 2 && !n.inputs[2].empty();
    return {has_min ? Value(n.inputs[1]).data<float>()[0] : -std::numeric_limits<float>::infinity(),
            has_max ? Value(n.inputs[2]).data<float>()[0] : std::numeric_limits<float>::infinity()};
  }

  // Adds `g` to the gradient of a value (one read by several nodes sums them) or of a parameter.
  void AddGrad(std::map<std::string, Tensor>& grads, const std::string& name, const Tensor& g) {
    auto p = params_.find(name);
    Tensor& target = p != params_.end() ? p->second.grad : grads[name];
    if (target.empty()) {
      target = g.Clone();
      return;
    }
    for (int64_t i = 0; i < g.size(); ++i) target.data<float>()[i] += g.data<float>()[i];
  }

  // The weight's gradient through the straight-through estimator of its fake quantization.
  Tensor WeightGrad(const std::string& name, Tensor dw) {
    auto used = weights_used_.find(name);
    if (used == weights_used_.end()) return dw;
    for (int64_t i = 0; i < dw.size(); ++i) dw.data<float>()[i] *= used->second.second.data<float>()[i];
    return dw;
  }

  Status BackwardNode(const Node& n, const Tensor& dy, std::map<std::string, Tensor>& grads) {
    const Tensor& x = Value(n.inputs[0]);
    const bool has_bias = n.inputs.size() > 2 && !n.inputs[2].empty();
    if (n.op_type == "Conv") {
      auto g = ConvBackward(n, x, UsedWeight(n), has_bias, dy);
      if (!g.ok()) return g.status();
      AddGrad(grads, n.inputs[0], g->dx);
      AddGrad(grads, n.inputs[1], WeightGrad(n.inputs[1], g->dw));
      if (has_bias) AddGrad(grads, n.inputs[2], g->db);
      return Status::Ok();
    }
    if (n.op_type == "Gemm") {
      const Tensor flat = x.rank() == 2 ? x : x.Reshaped({x.dim(0), x.size() / x.dim(0)});
      GemmGrads g = GemmBackward(n, flat, UsedWeight(n), has_bias, dy);
      AddGrad(grads, n.inputs[0], g.dx.Reshaped(x.shape()));
      AddGrad(grads, n.inputs[1], WeightGrad(n.inputs[1], g.dw));
      if (has_bias) AddGrad(grads, n.inputs[2], g.db);
      return Status::Ok();
    }
    if (n.op_type == "Relu" || n.op_type == "Clip") {
      const auto [lo, hi] = n.op_type == "Relu" ? std::pair{0.0f, std::numeric_limits<float>::infinity()} : ClipRange(n);
      AddGrad(grads, n.inputs[0], ClampBackward(x, lo, hi, dy));
    } else if (n.op_type == "MaxPool") {
      AddGrad(grads, n.inputs[0], MaxPoolBackward(x, argmax_.at(n.outputs[0]), dy));
    } else if (n.op_type == "GlobalAveragePool") {
      AddGrad(grads, n.inputs[0], GlobalAveragePoolBackward(x, dy));
    } else if (n.op_type == "Add") {
      AddGrad(grads, n.inputs[0], dy);
      AddGrad(grads, n.inputs[1], dy);
    } else {
      AddGrad(grads, n.inputs[0], dy.Reshaped(x.shape()));  // Flatten, Reshape
    }
    return Status::Ok();
  }

  const Graph* graph_ = nullptr;
  std::map<std::string, Parameter> params_;
  std::map<std::string, FakeQuant> activation_quant_;
  std::map<std::string, WeightQuant> weight_quant_;
  std::map<std::string, Tensor> values_, pre_quant_;
  std::map<std::string, std::vector<int64_t>> argmax_;
  std::map<std::string, std::pair<Tensor, Tensor>> weights_used_;  // fake-quantized value, gradient mask
};

}  // namespace qplay::train
