#include "train/qat.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>
#include <random>

#include "data/labels.h"
#include "ops/schema.h"
#include "train/training_graph.h"

namespace qplay {

using train::Parameter;
using train::TrainingGraph;

namespace {

// One optimizer step on every parameter with a gradient, then the gradients are cleared.
void Step(std::map<std::string, Parameter>& params, const QatOptions& o, double lr, int64_t step) {
  for (auto& [name, p] : params) {
    if (p.grad.empty()) continue;
    if (p.first.empty()) p.first = Tensor(DataType::kFloat, p.value.shape()), p.second = Tensor(DataType::kFloat, p.value.shape());
    float* v = p.value.data<float>();
    const float* g = p.grad.data<float>();
    for (int64_t i = 0; i < p.value.size(); ++i) {
      const double grad = g[i] + o.weight_decay * v[i];
      if (o.optimizer == "adam") {
        float& m = p.first.data<float>()[i];
        float& s = p.second.data<float>()[i];
        m = static_cast<float>(0.9 * m + 0.1 * grad);
        s = static_cast<float>(0.999 * s + 0.001 * grad * grad);
        const double mh = m / (1 - std::pow(0.9, step)), sh = s / (1 - std::pow(0.999, step));
        v[i] -= static_cast<float>(lr * mh / (std::sqrt(sh) + 1e-8));
      } else {
        float& velocity = p.first.data<float>()[i];
        velocity = static_cast<float>(o.momentum * velocity + grad);
        v[i] -= static_cast<float>(lr * velocity);
      }
    }
    p.grad = Tensor();
  }
}

Result<double> Accuracy(TrainingGraph& graph, const Tensor& x, const Tensor& labels, int64_t batch) {
  int64_t correct = 0;
  for (int64_t start = 0; start < x.dim(0); start += batch) {
    const int64_t count = std::min(batch, x.dim(0) - start);
    auto logits = graph.Forward(x.SliceRows(start, count));
    if (!logits.ok()) return logits.status();
    QPLAY_RETURN_IF_ERROR(CheckClassLabels(labels.SliceRows(start, count), logits->dim(1), start).WithContext("evaluation labels"));
    for (int64_t i = 0; i < count; ++i) {
      const float* row = logits->data<float>() + i * logits->dim(1);
      correct += std::max_element(row, row + logits->dim(1)) - row == labels.GetAsInt64(start + i);
    }
  }
  return static_cast<double>(correct) / static_cast<double>(x.dim(0));
}

// Rows `order[start, start + count)` of `t` as one tensor.
Tensor Gather(const Tensor& t, const std::vector<int64_t>& order, int64_t start, int64_t count) {
  Shape shape = t.shape();
  shape[0] = count;
  Tensor out(t.dtype(), shape);
  const size_t row = t.nbytes() / static_cast<size_t>(t.dim(0));
  for (int64_t i = 0; i < count; ++i) std::memcpy(out.raw() + i * row, t.SliceRows(order[start + i], 1).raw(), row);
  return out;
}

}  // namespace

Result<std::unique_ptr<QatSession>> QatSession::Start(const Model& model, const QuantizationConfig& config, const Tensor& train_data,
                                                      const Tensor& train_labels, const Tensor* eval_data, const Tensor* eval_labels,
                                                      const QatOptions& options) {
  if (config.mode != QuantMode::kStatic) return Fail(StatusCode::kInvalidArgument, "quantization-aware training starts from static quantization");
  if (train_data.rank() == 0 || train_data.dim(0) == 0) return Fail(StatusCode::kInvalidArgument, "the training set is empty");
  if (train_labels.size() != train_data.dim(0))
    return Fail(StatusCode::kInvalidArgument, train_labels.size(), " labels for ", train_data.dim(0), " training samples");
  if ((eval_data == nullptr) != (eval_labels == nullptr) || (eval_data && eval_labels->size() != eval_data->dim(0)))
    return Fail(StatusCode::kInvalidArgument, "evaluation samples need one label each");
  if (options.epochs < 1 || options.batch_size < 1 || !(options.learning_rate > 0) || (options.optimizer != "sgd" && options.optimizer != "adam"))
    return Fail(StatusCode::kInvalidArgument, "QAT needs epochs and batch size of at least 1, a positive learning rate and optimizer sgd or adam");
  if (options.observer_steps < 0)
    return Fail(StatusCode::kInvalidArgument, "observer steps must be 0 or more, got ", options.observer_steps);
  auto prepared = StartQuantization(model, config);
  if (!prepared.ok()) return prepared.status();
  // Calibrate the activation ranges (and learn which nodes are quantized) on the training samples.
  auto calibrated = QuantizeStatic(model, config, {{model.graph.inputs.at(0), train_data}});
  if (!calibrated.ok()) return calibrated.status();
  std::unique_ptr<QatSession> s(new QatSession());
  s->prepared_ = std::move(prepared->model);
  auto graph = TrainingGraph::Create(s->prepared_, *calibrated, config, options.lsq);
  if (!graph.ok()) return graph.status();
  s->graph_ = std::make_unique<TrainingGraph>(std::move(graph.value()));
  s->config_ = config;
  s->calibrated_ = std::move(calibrated.value());
  s->train_x_ = train_data;
  s->train_y_ = train_labels;
  if (eval_data) s->eval_x_ = *eval_data, s->eval_y_ = *eval_labels;
  s->options_ = options;
  s->activation_range_ = FormatFor(config.activation_type, config.activation_symmetric, false).value().range;
  s->order_.resize(static_cast<size_t>(train_data.dim(0)));
  std::iota(s->order_.begin(), s->order_.end(), 0);
  s->random_.seed(options.seed);
  for (const auto& [name, p] : s->graph_->params()) s->best_weights_[name] = p.value.Clone();
  s->best_ranges_ = s->graph_->observed_ranges();
  return s;
}

QatSession::~QatSession() = default;

Result<EpochReport> QatSession::RunEpoch() {
  const int64_t n = train_x_.dim(0), batch = options_.batch_size;
  const int64_t steps_per_epoch = (n + batch - 1) / batch;
  std::shuffle(order_.begin(), order_.end(), random_);
  double loss_sum = 0;
  for (int64_t start = 0; start < n; start += batch) {
    const int64_t count = std::min(batch, n - start);
    auto logits = graph_->Forward(Gather(train_x_, order_, start, count));
    if (!logits.ok()) return logits.status();
    constexpr double kObserverAveraging = 0.01;
    if (step_ < options_.observer_steps) graph_->Observe(kObserverAveraging);
    Tensor dlogits;
    auto loss = train::SoftmaxCrossEntropy(*logits, Gather(train_y_, order_, start, count), dlogits);
    if (!loss.ok()) return loss.status();
    loss_sum += *loss;
    QPLAY_RETURN_IF_ERROR(graph_->Backward(dlogits));
    const double progress = static_cast<double>(step_) / static_cast<double>(options_.epochs * steps_per_epoch);
    const double lr = options_.cosine_schedule ? options_.learning_rate * 0.5 * (1 + std::cos(M_PI * std::min(progress, 1.0)))
                                               : options_.learning_rate;
    Step(graph_->params(), options_, lr, ++step_);
  }
  EpochReport report{++epoch_, loss_sum / static_cast<double>(steps_per_epoch), std::nullopt};
  if (eval_x_) {
    auto accuracy = Accuracy(*graph_, *eval_x_, *eval_y_, 100);
    if (!accuracy.ok()) return accuracy.status();
    report.accuracy = *accuracy;
  }
  const bool better = epoch_ == 1 || (report.accuracy ? *report.accuracy > best_.accuracy.value_or(-1) : report.loss < best_.loss);
  if (better) {
    best_ = report;
    for (const auto& [name, p] : graph_->params()) best_weights_[name] = p.value.Clone();
    best_ranges_ = graph_->observed_ranges();
  }
  return report;
}

Result<QuantizationResult> QatSession::Finish() const {
  Model trained = prepared_;
  std::map<std::string, FloatRange> ranges = calibrated_.ranges;
  // An activation's range, and a clamp (Relu, Clip) fused into its producer, which reads it too.
  std::multimap<std::string, std::string> clamped;  // activation -> output of a clamp reading it
  for (const Node& n : prepared_.graph.nodes)
    if (IsClamp(n) && !n.inputs.empty()) clamped.emplace(n.inputs[0], n.outputs[0]);
  auto set_range = [&](const std::string& activation, const FloatRange& range) {
    ranges[activation] = range;
    for (auto [it, end] = clamped.equal_range(activation); it != end; ++it) ranges[it->second] = range;
  };
  for (const auto& [activation, range] : best_ranges_) {
    auto calibrated = calibrated_.ranges.find(activation);
    const bool moved = calibrated == calibrated_.ranges.end() || calibrated->second.min != range.min || calibrated->second.max != range.max;
    if (moved) set_range(activation, range);  // observed for some steps
  }
  for (const auto& [name, value] : best_weights_) {
    if (name.rfind("lsq:", 0) != 0) {
      trained.graph.initializers[name] = value;
      continue;
    }
    // A learned scale becomes the range it represents, which gives back that scale and the
    // calibrated zero point.
    const std::string activation = name.substr(4);
    const QParams p = calibrated_.activations.at(activation);
    const float scale = std::max(value.data<float>()[0], 1e-8f);
    set_range(activation, {(activation_range_.qmin - p.zero_point) * scale, (activation_range_.qmax - p.zero_point) * scale});
  }
  QuantizationConfig again = config_;  // the prepared model is already equalized and smoothed
  again.cross_layer_equalization = again.smooth_quant = again.bias_correction = false;
  return QuantizeStaticWithRanges(trained, again, ranges);
}

Result<QuantizationResult> QuantizationAwareTraining(const Model& model, const QuantizationConfig& config, const Tensor& train_data,
                                                     const Tensor& train_labels, const Tensor* eval_data, const Tensor* eval_labels,
                                                     const QatOptions& options, const std::function<bool(const EpochReport&)>& on_epoch) {
  auto session = QatSession::Start(model, config, train_data, train_labels, eval_data, eval_labels, options);
  if (!session.ok()) return session.status();
  for (int64_t epoch = 1; epoch <= options.epochs; ++epoch) {
    auto report = (*session)->RunEpoch();
    if (!report.ok()) return report.status();
    if (on_epoch && !on_epoch(*report)) break;
  }
  return (*session)->Finish();
}

}  // namespace qplay
