// Recurrent layers LSTM, GRU and RNN (ONNX gate orders iofc / zrh), forward, reverse or
// bidirectional, with optional bias, initial states, peepholes, clip and sequence_lens.
#include <algorithm>
#include <cmath>

#include "kernels/registry.h"

namespace qplay {
namespace {

using Activation = float (*)(float);
float SigmoidFn(float x) { return 1.0f / (1.0f + std::exp(-x)); }
float TanhFn(float x) { return std::tanh(x); }
float ReluFn(float x) { return std::max(x, 0.0f); }

enum class Cell { kLstm, kGru, kRnn };

struct RecurrentSpec {
  Cell cell;
  int64_t gates;                         // 4 (LSTM), 3 (GRU), 1 (RNN)
  std::vector<std::string> activations;  // per direction
};

Result<std::vector<Activation>> ReadActivations(const KernelContext& ctx, const RecurrentSpec& spec, int64_t directions) {
  std::vector<std::string> names = ctx.node.Has("activations") ? ctx.node.attributes.at("activations").strings : std::vector<std::string>{};
  if (names.empty())
    for (int64_t d = 0; d < directions; ++d) names.insert(names.end(), spec.activations.begin(), spec.activations.end());
  std::vector<Activation> fns;
  for (const auto& name : names) {
    if (name == "Sigmoid") fns.push_back(SigmoidFn);
    else if (name == "Tanh") fns.push_back(TanhFn);
    else if (name == "Relu") fns.push_back(ReluFn);
    else return ctx.Unsupported("activation '", name, "'");
  }
  if (fns.size() != spec.activations.size() * static_cast<size_t>(directions))
    return ctx.Invalid("expected ", spec.activations.size() * directions, " activations, got ", fns.size());
  return fns;
}

// y[j] += sum_k x[k] * w[row0 + j][k] for j < rows (w rows of length `cols`).
void AddMatVec(const float* x, const float* w, int64_t row0, int64_t rows, int64_t cols, float* y) {
  for (int64_t j = 0; j < rows; ++j) {
    float acc = 0;
    const float* wr = w + (row0 + j) * cols;
    for (int64_t k = 0; k < cols; ++k) acc += x[k] * wr[k];
    y[j] += acc;
  }
}

Status RunRecurrent(KernelContext& ctx, const RecurrentSpec& spec) {
  const Tensor &x = ctx.in(0), &w = ctx.in(1), &r = ctx.in(2);
  if (x.dtype() != DataType::kFloat) return ctx.Unsupported("element type ", DataTypeName(x.dtype()));
  if (ctx.node.GetInt("layout", 0) != 0) return ctx.Unsupported("layout=1 (batch-first)");
  if (ctx.node.GetInt("input_forget", 0) != 0) return ctx.Unsupported("input_forget=1");
  if (x.rank() != 3 || w.rank() != 3 || r.rank() != 3)
    return ctx.Invalid("X, W and R must be 3-D, got ", ShapeToString(x.shape()), ", ", ShapeToString(w.shape()), ", ", ShapeToString(r.shape()));
  const std::string direction = ctx.node.GetString("direction", "forward");
  const int64_t dirs = direction == "bidirectional" ? 2 : 1;
  const int64_t seq = x.dim(0), batch = x.dim(1), input = x.dim(2);
  const int64_t hidden = ctx.node.GetInt("hidden_size", r.dim(2));
  const int64_t g = spec.gates;
  if (w.dim(0) != dirs || w.dim(1) != g * hidden || w.dim(2) != input || r.dim(1) != g * hidden || r.dim(2) != hidden)
    return ctx.Invalid("W ", ShapeToString(w.shape()), " / R ", ShapeToString(r.shape()), " do not match ", dirs,
                       " direction(s), hidden_size ", hidden, " and input size ", input);
  auto activations = ReadActivations(ctx, spec, dirs);
  if (!activations.ok()) return activations.status();
  const float clip = ctx.node.GetFloat("clip", 0.0f);
  const bool linear_before_reset = ctx.node.GetInt("linear_before_reset", 0) != 0;
  const Tensor* bias = ctx.has(3) ? &ctx.in(3) : nullptr;
  const Tensor* lengths = ctx.has(4) ? &ctx.in(4) : nullptr;
  const Tensor* initial_h = ctx.has(5) ? &ctx.in(5) : nullptr;
  const Tensor* initial_c = spec.cell == Cell::kLstm && ctx.has(6) ? &ctx.in(6) : nullptr;
  const Tensor* peephole = spec.cell == Cell::kLstm && ctx.has(7) ? &ctx.in(7) : nullptr;

  Tensor y(DataType::kFloat, {seq, dirs, batch, hidden});
  Tensor y_h(DataType::kFloat, {dirs, batch, hidden}), y_c(DataType::kFloat, {dirs, batch, hidden});
  std::vector<float> gates(static_cast<size_t>(g * hidden)), recur(static_cast<size_t>(g * hidden));
  auto clipped = [clip](float v) { return clip > 0 ? std::clamp(v, -clip, clip) : v; };

  for (int64_t d = 0; d < dirs; ++d) {
    const bool reverse = direction == "reverse" || d == 1;
    const float* wd = w.data<float>() + d * g * hidden * input;
    const float* rd = r.data<float>() + d * g * hidden * hidden;
    const float* wb = bias ? bias->data<float>() + d * 2 * g * hidden : nullptr;
    const float* rb = wb ? wb + g * hidden : nullptr;
    const float* p = peephole ? peephole->data<float>() + d * 3 * hidden : nullptr;
    const Activation f = (*activations)[d * spec.activations.size()];
    const Activation gfn = spec.activations.size() > 1 ? (*activations)[d * spec.activations.size() + 1] : f;
    const Activation hfn = spec.activations.size() > 2 ? (*activations)[d * spec.activations.size() + 2] : f;
    for (int64_t b = 0; b < batch; ++b) {
      std::vector<float> h(hidden, 0.0f), c(hidden, 0.0f);
      if (initial_h) std::copy_n(initial_h->data<float>() + (d * batch + b) * hidden, hidden, h.begin());
      if (initial_c) std::copy_n(initial_c->data<float>() + (d * batch + b) * hidden, hidden, c.begin());
      const int64_t length = lengths ? std::min(seq, lengths->GetAsInt64(b)) : seq;
      for (int64_t step = 0; step < length; ++step) {
        const int64_t t = reverse ? length - 1 - step : step;
        const float* xt = x.data<float>() + (t * batch + b) * input;
        std::fill(gates.begin(), gates.end(), 0.0f);
        std::fill(recur.begin(), recur.end(), 0.0f);
        AddMatVec(xt, wd, 0, g * hidden, input, gates.data());
        AddMatVec(h.data(), rd, 0, g * hidden, hidden, recur.data());
        for (int64_t j = 0; j < g * hidden; ++j) {
          if (wb) gates[j] += wb[j];
          if (rb) recur[j] += rb[j];
        }
        for (int64_t j = 0; j < hidden; ++j) {
          if (spec.cell == Cell::kLstm) {
            float i_gate = gates[j] + recur[j], o_gate = gates[hidden + j] + recur[hidden + j];
            float f_gate = gates[2 * hidden + j] + recur[2 * hidden + j], c_gate = gates[3 * hidden + j] + recur[3 * hidden + j];
            if (p) {
              i_gate += p[j] * c[j];
              f_gate += p[2 * hidden + j] * c[j];
            }
            i_gate = f(clipped(i_gate));
            f_gate = f(clipped(f_gate));
            c[j] = f_gate * c[j] + i_gate * gfn(clipped(c_gate));
            if (p) o_gate += p[hidden + j] * c[j];
            h[j] = f(clipped(o_gate)) * hfn(c[j]);
          } else if (spec.cell == Cell::kGru) {
            const float z = f(clipped(gates[j] + recur[j]));
            const float rr = f(clipped(gates[hidden + j] + recur[hidden + j]));
            gates[j] = z;  // keep z; h is updated after all of r is known
            recur[j] = rr;
          } else {
            h[j] = f(clipped(gates[j] + recur[j]));
          }
        }
        if (spec.cell == Cell::kGru) {
          std::vector<float> candidate(hidden);
          if (linear_before_reset) {
            for (int64_t j = 0; j < hidden; ++j)
              candidate[j] = gates[2 * hidden + j] + recur[j] * recur[2 * hidden + j];
          } else {
            std::vector<float> rh(hidden), proj(hidden, 0.0f);
            for (int64_t j = 0; j < hidden; ++j) rh[j] = recur[j] * h[j];
            AddMatVec(rh.data(), rd, 2 * hidden, hidden, hidden, proj.data());
            for (int64_t j = 0; j < hidden; ++j) candidate[j] = gates[2 * hidden + j] + proj[j] + (rb ? rb[2 * hidden + j] : 0.0f);
          }
          for (int64_t j = 0; j < hidden; ++j) {
            const float z = gates[j];
            h[j] = (1 - z) * gfn(clipped(candidate[j])) + z * h[j];
          }
        }
        std::copy(h.begin(), h.end(), y.data<float>() + ((t * dirs + d) * batch + b) * hidden);
      }
      std::copy(h.begin(), h.end(), y_h.data<float>() + (d * batch + b) * hidden);
      std::copy(c.begin(), c.end(), y_c.data<float>() + (d * batch + b) * hidden);
    }
  }
  if (ctx.wants(0)) ctx.SetOutput(0, y);
  if (ctx.wants(1)) ctx.SetOutput(1, y_h);
  if (ctx.wants(2)) ctx.SetOutput(2, y_c);
  return Status::Ok();
}

Status Lstm(KernelContext& ctx) { return RunRecurrent(ctx, {Cell::kLstm, 4, {"Sigmoid", "Tanh", "Tanh"}}); }
Status Gru(KernelContext& ctx) { return RunRecurrent(ctx, {Cell::kGru, 3, {"Sigmoid", "Tanh"}}); }
Status Rnn(KernelContext& ctx) { return RunRecurrent(ctx, {Cell::kRnn, 1, {"Tanh"}}); }

}  // namespace

void RegisterRecurrentKernels(KernelRegistry& r) {
  r.Add("LSTM", Lstm);
  r.Add("GRU", Gru);
  r.Add("RNN", Rnn);
}

}  // namespace qplay
