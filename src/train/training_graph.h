// The graph quantization-aware training runs: the prepared model node by node, forward and
// backward, with fake quantization on the activations the static quantizer quantizes (their
// calibrated parameters, or learned scales under LSQ) and on the weights of quantized nodes
// (per tensor or per channel from their current range, on the axis the static quantizer
// uses), holding the trainable parameters: the float initializers of more than one value that
// a gradient reaches (weights, biases, normalization scales, embeddings; scalar constants
// such as GELU's stay fixed). Forward runs the runtime's kernels (Gemm keeps its own,
// which reads an input of rank > 2 as [N, rest]); backward runs op_grads.h.
#pragma once
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ops/matmul.h"
#include "ops/schema.h"
#include "quant/backend.h"
#include "quant/qdq_writer.h"
#include "quant/qparams.h"
#include "quant/static_quantizer.h"
#include "train/layers.h"
#include "train/op_grads.h"

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
    t.model_ = &prepared;
    t.graph_ = &prepared.graph;
    if (prepared.graph.inputs.size() != 1 || prepared.graph.outputs.size() != 1)
      return Fail(StatusCode::kUnsupported, "quantization-aware training needs one input and one output; the model has ",
                  prepared.graph.inputs.size(), " and ", prepared.graph.outputs.size());
    for (const Node& n : prepared.graph.nodes)
      if (!HasOpGradients(n) && !NeedsNoGradient(n))
        return Fail(StatusCode::kUnsupported, "node '", n.name, "' (", n.op_type, "): quantization-aware training has no backward pass for ",
                    n.op_type, " (it trains convolutions, Gemm and MatMul, pooling, Relu/Clip/Sigmoid/Tanh/HardSwish/Erf, the ",
                    "element-wise arithmetic, LayerNormalization, Softmax, LSTM, reductions and the ops that move or reshape tensors)");
    auto activation = FormatFor(config.activation_type, config.activation_symmetric, false);
    auto weight = FormatFor(config.weight_type, config.weight_symmetric, config.reduce_range);
    auto backend = FindBackend(config.backend);
    if (!activation.ok() || !weight.ok()) return activation.ok() ? weight.status() : activation.status();
    if (!backend.ok()) return backend.status();
    t.activation_format_ = *activation;
    for (const auto& [name, p] : calibrated.activations) {
      t.activation_quant_[name] = FakeQuantOf(p, activation->range);
      auto range = calibrated.ranges.find(name);
      if (range != calibrated.ranges.end()) t.observed_[name] = range->second;
      if (lsq) t.params_[LearnedScale(name)].value = Tensor::FromVector<float>({1}, {p.scale});
    }
    const std::set<std::string> quantized(calibrated.quantized_nodes.begin(), calibrated.quantized_nodes.end());
    for (const Node& n : prepared.graph.nodes) {
      for (size_t i = 0; i < n.inputs.size(); ++i) {
        const std::string& name = n.inputs[i];
        if (!GradientReaches(n, i) || !prepared.graph.IsInitializer(name)) continue;
        const Tensor& value = prepared.graph.initializers.at(name);
        if (value.dtype() == DataType::kFloat && value.size() > 1) t.params_[name].value = value.Clone();
      }
      const int64_t axis = WeightChannelAxis(prepared.graph, n, *backend);
      if (quantized.count(n.name) && axis >= 0 && t.params_.count(n.inputs[1]))
        t.weight_quant_[n.inputs[1]] = {config.per_channel ? axis : -1, *weight};
    }
    return t;
  }

  // The activations' ranges as the observers last saw them (the calibrated ones until Observe).
  const std::map<std::string, FloatRange>& observed_ranges() const { return observed_; }

  // Moves each observed activation's range toward the last forward pass's batch minimum and
  // maximum by `averaging_constant` (PyTorch's MovingAverageMinMaxObserver) and recomputes its
  // fake quantization from it. Activations with a learned scale (LSQ) keep learning it instead.
  void Observe(double averaging_constant) {
    for (const auto& [name, value] : pre_quant_) {
      auto range = observed_.find(name);
      if (range == observed_.end() || params_.count(LearnedScale(name)) || value.size() == 0) continue;
      const auto [lo, hi] = std::minmax_element(value.data<float>(), value.data<float>() + value.size());
      FloatRange r = range->second;
      r.min += static_cast<float>(averaging_constant * (*lo - r.min));
      r.max += static_cast<float>(averaging_constant * (*hi - r.max));
      Observe(name, r);
    }
  }

  const std::map<std::string, Parameter>& params() const { return params_; }
  std::map<std::string, Parameter>& params() { return params_; }

  // Logits of a batch; keeps what the backward pass needs.
  Result<Tensor> Forward(const Tensor& x) {
    values_.clear();
    pre_quant_.clear();
    weights_used_.clear();
    Store(graph_->inputs[0], x);
    for (const Node& n : graph_->nodes) {
      auto outputs = RunNode(n);
      if (!outputs.ok()) return outputs.status();
      for (size_t i = 0; i < n.outputs.size() && i < outputs->size(); ++i)
        if (!n.outputs[i].empty()) Store(n.outputs[i], (*outputs)[i]);
    }
    return values_.at(graph_->outputs[0]);
  }

  // Gradients of every parameter from the gradient of the logits (added to Parameter::grad).
  Status Backward(const Tensor& dlogits) {
    std::map<std::string, Tensor> grads{{graph_->outputs[0], dlogits}};
    for (auto it = graph_->nodes.rbegin(); it != graph_->nodes.rend(); ++it) {
      const Node& n = *it;
      if (NeedsNoGradient(n)) continue;
      for (size_t i = 1; i < n.outputs.size(); ++i)
        if (grads.count(n.outputs[i]))
          return Fail(StatusCode::kUnsupported, n.Describe(), ": training differentiates the first output only, and '", n.outputs[i],
                      "' is used");
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
  void Observe(const std::string& name, const FloatRange& range) {
    observed_[name] = range;
    activation_quant_[name] =
        FakeQuantOf(ComputeQParams(range.min, range.max, activation_format_.range, activation_format_.symmetric), activation_format_.range);
  }

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

  // The tensor a node reads as input i: a parameter (its weight fake-quantized when the node
  // is quantized), a value computed this pass, or a fixed initializer; nullptr when omitted.
  const Tensor* Input(const Node& n, size_t i) {
    if (i >= n.inputs.size() || n.inputs[i].empty()) return nullptr;
    if (i == 1 && weight_quant_.count(n.inputs[1])) return &Weight(n);
    return &In(n, i);
  }

  Result<std::vector<Tensor>> RunNode(const Node& n) {
    if (IsOp(n, ops::kGemm)) {
      const Tensor& x = Value(n.inputs[0]);
      const Tensor bias = n.inputs.size() > 2 && !n.inputs[2].empty() ? In(n, 2) : Tensor();
      return Outputs(GemmForward(n, x.rank() == 2 ? x : x.Reshaped({x.dim(0), x.size() / x.dim(0)}), *Input(n, 1), bias));
    }
    std::vector<const Tensor*> inputs;
    for (size_t i = 0; i < n.inputs.size(); ++i) inputs.push_back(Input(n, i));
    return RunKernel(n, OpsetOf(n), std::move(inputs), KernelVariant::kFast);
  }

  static Result<std::vector<Tensor>> Outputs(Result<Tensor> y) {
    if (!y.ok()) return y.status();
    return std::vector<Tensor>{std::move(*y)};
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

  // Backward sees the forward pass's inputs, the weight as it was fake-quantized then.
  Status BackwardNode(const Node& n, const Tensor& dy, std::map<std::string, Tensor>& grads) {
    std::vector<const Tensor*> inputs;
    for (size_t i = 0; i < n.inputs.size(); ++i)
      inputs.push_back(i == 1 && weights_used_.count(n.inputs[1]) ? &UsedWeight(n) : Input(n, i));
    auto g = OpGradients({n, OpsetOf(n), inputs, Value(n.outputs[0]), dy});
    if (!g.ok()) return g.status();
    return AddGrads(n, grads, *g);
  }

  // Input i's gradient g[i] (where given): into its parameter (through the weight's
  // straight-through estimator) or the value that fed it; fixed initializers take none.
  Status AddGrads(const Node& n, std::map<std::string, Tensor>& grads, const std::vector<Tensor>& g) {
    for (size_t i = 0; i < g.size() && i < n.inputs.size(); ++i) {
      const std::string& name = n.inputs[i];
      if (g[i].empty() || name.empty() || (graph_->IsInitializer(name) && !params_.count(name))) continue;
      AddGrad(grads, name, WeightGrad(name, g[i]));
    }
    return Status::Ok();
  }

  int64_t OpsetOf(const Node& n) const {
    auto opset = model_->opsets.find(n.domain);
    return opset == model_->opsets.end() ? 0 : opset->second;
  }


  const Model* model_ = nullptr;
  const Graph* graph_ = nullptr;
  std::map<std::string, Parameter> params_;
  std::map<std::string, FakeQuant> activation_quant_;
  TensorFormat activation_format_;
  std::map<std::string, FloatRange> observed_;
  std::map<std::string, WeightQuant> weight_quant_;
  std::map<std::string, Tensor> values_, pre_quant_;
  std::map<std::string, std::pair<Tensor, Tensor>> weights_used_;  // fake-quantized value, gradient mask
};

}  // namespace qplay::train
