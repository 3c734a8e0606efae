#include "train/lstm_grads.h"

#include <cmath>

namespace qplay::train {
namespace {

double Sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

// Row-major matrices as flat arrays: out[r, c] += Σ_k a[r, k] b[c, k] (b transposed).
void AddProductTransposed(const float* a, const float* b, int64_t rows, int64_t cols, int64_t inner, double* out) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      double sum = 0;
      for (int64_t k = 0; k < inner; ++k) sum += static_cast<double>(a[r * inner + k]) * b[c * inner + k];
      out[r * cols + c] += sum;
    }
}

Status CheckSupported(const OpBackward& op) {
  const Node& n = op.node;
  auto unsupported = [&](const std::string& what) {
    return Fail(StatusCode::kUnsupported, n.Describe(), ": training differentiates LSTM without ", what);
  };
  if (n.Has("activations")) {
    const auto& names = n.attributes.at("activations").strings;
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] != (i % 3 == 0 ? "Sigmoid" : "Tanh")) return unsupported("custom activations");
  }
  if (n.Has("clip")) return unsupported("clip");
  if (n.GetInt("input_forget", 0) != 0) return unsupported("input_forget");
  if (n.GetInt("layout", 0) != 0) return unsupported("layout=1");
  if (op.inputs.size() > 7 && op.inputs[7]) return unsupported("peepholes (P)");
  if (op.inputs.size() > 4 && op.inputs[4]) {
    const Tensor& lens = *op.inputs[4];
    for (int64_t b = 0; b < lens.size(); ++b)
      if (lens.GetAsInt64(b) != op.inputs[0]->dim(0)) return unsupported("sequences shorter than the input (sequence_lens)");
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<Tensor>> LstmGradients(const OpBackward& op) {
  QPLAY_RETURN_IF_ERROR(CheckSupported(op));
  const Tensor &x = *op.inputs[0], &w = *op.inputs[1], &r = *op.inputs[2];
  auto optional = [&](size_t i) { return op.inputs.size() > i ? op.inputs[i] : nullptr; };
  const Tensor *bias = optional(3), *h0 = optional(5), *c0 = optional(6);
  const int64_t steps = x.dim(0), batch = x.dim(1), input = x.dim(2), dirs = w.dim(0), hidden = r.dim(2), gates = 4 * hidden;
  const bool bidirectional = op.node.GetString("direction", "forward") == "bidirectional";
  const bool reverse = op.node.GetString("direction", "forward") == "reverse";

  std::vector<double> dx(static_cast<size_t>(x.size())), dw(static_cast<size_t>(w.size())), dr(static_cast<size_t>(r.size()));
  std::vector<double> db(bias ? static_cast<size_t>(bias->size()) : 0), dh0(static_cast<size_t>(dirs * batch * hidden)), dc0 = dh0;
  for (int64_t d = 0; d < dirs; ++d) {
    const bool backwards = reverse || (bidirectional && d == 1);
    const float *wd = w.data<float>() + d * gates * input, *rd = r.data<float>() + d * gates * hidden;
    // Forward, keeping per step: gate activations (i, o, f, c̃), cell state and the previous h and c.
    std::vector<double> act(static_cast<size_t>(steps * batch * gates)), cell(static_cast<size_t>(steps * batch * hidden));
    std::vector<float> h_in(static_cast<size_t>(steps * batch * hidden)), c_in(static_cast<size_t>(steps * batch * hidden));
    std::vector<float> h(static_cast<size_t>(batch * hidden)), c(h.size());
    for (int64_t i = 0; i < batch * hidden; ++i) {
      h[i] = h0 ? h0->data<float>()[d * batch * hidden + i] : 0.0f;
      c[i] = c0 ? c0->data<float>()[d * batch * hidden + i] : 0.0f;
    }
    for (int64_t s = 0; s < steps; ++s) {
      const int64_t t = backwards ? steps - 1 - s : s;
      std::copy(h.begin(), h.end(), h_in.begin() + t * batch * hidden);
      std::copy(c.begin(), c.end(), c_in.begin() + t * batch * hidden);
      std::vector<double> pre(static_cast<size_t>(batch * gates), 0.0);
      AddProductTransposed(x.data<float>() + t * batch * input, wd, batch, gates, input, pre.data());
      AddProductTransposed(h.data(), rd, batch, gates, hidden, pre.data());
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t j = 0; j < hidden; ++j) {
          double* p = pre.data() + b * gates;
          if (bias)
            for (int64_t g = 0; g < 4; ++g)
              p[g * hidden + j] += static_cast<double>(bias->data<float>()[d * 2 * gates + g * hidden + j]) +
                                   bias->data<float>()[d * 2 * gates + gates + g * hidden + j];
          double* a = act.data() + (t * batch + b) * gates;
          a[j] = Sigmoid(p[j]);
          a[hidden + j] = Sigmoid(p[hidden + j]);
          a[2 * hidden + j] = Sigmoid(p[2 * hidden + j]);
          a[3 * hidden + j] = std::tanh(p[3 * hidden + j]);
          const double cell_t = a[2 * hidden + j] * c[b * hidden + j] + a[j] * a[3 * hidden + j];
          cell[(t * batch + b) * hidden + j] = cell_t;
          c[b * hidden + j] = static_cast<float>(cell_t);
          h[b * hidden + j] = static_cast<float>(a[hidden + j] * std::tanh(cell_t));
        }
    }
    // Backward through time: dh and dc flow from each step to the one before it.
    std::vector<double> dh(static_cast<size_t>(batch * hidden), 0.0), dc(dh.size(), 0.0);
    std::vector<float> dpre(static_cast<size_t>(batch * gates));
    for (int64_t s = steps - 1; s >= 0; --s) {
      const int64_t t = backwards ? steps - 1 - s : s;
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t j = 0; j < hidden; ++j) {
          const int64_t at = b * hidden + j;
          const double* a = act.data() + (t * batch + b) * gates;
          const double i_g = a[j], o_g = a[hidden + j], f_g = a[2 * hidden + j], c_g = a[3 * hidden + j];
          const double tanh_c = std::tanh(cell[(t * batch + b) * hidden + j]);
          const double dh_t = dh[at] + op.dy.data<float>()[((t * dirs + d) * batch + b) * hidden + j];
          const double dc_t = dc[at] + dh_t * o_g * (1 - tanh_c * tanh_c);
          float* p = dpre.data() + b * gates;
          p[j] = static_cast<float>(dc_t * c_g * i_g * (1 - i_g));
          p[hidden + j] = static_cast<float>(dh_t * tanh_c * o_g * (1 - o_g));
          p[2 * hidden + j] = static_cast<float>(dc_t * c_in[t * batch * hidden + at] * f_g * (1 - f_g));
          p[3 * hidden + j] = static_cast<float>(dc_t * i_g * (1 - c_g * c_g));
          dc[at] = dc_t * f_g;
        }
      // Parameters: dW += dpreᵀ x_t, dR += dpreᵀ h_{t-1}, both biases += Σ_batch dpre.
      for (int64_t g = 0; g < gates; ++g)
        for (int64_t b = 0; b < batch; ++b) {
          const double v = dpre[b * gates + g];
          if (v == 0) continue;
          const float* xt = x.data<float>() + (t * batch + b) * input;
          for (int64_t k = 0; k < input; ++k) dw[(d * gates + g) * input + k] += v * xt[k];
          const float* hp = h_in.data() + (t * batch + b) * hidden;
          for (int64_t k = 0; k < hidden; ++k) dr[(d * gates + g) * hidden + k] += v * hp[k];
          if (bias) db[d * 2 * gates + g] += v, db[d * 2 * gates + gates + g] += v;
        }
      // Inputs: dx_t = dpre W and dh_{t-1} = dpre R.
      std::fill(dh.begin(), dh.end(), 0.0);
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t g = 0; g < gates; ++g) {
          const double v = dpre[b * gates + g];
          for (int64_t k = 0; k < input; ++k) dx[(t * batch + b) * input + k] += v * wd[g * input + k];
          for (int64_t k = 0; k < hidden; ++k) dh[b * hidden + k] += v * rd[g * hidden + k];
        }
    }
    std::copy(dh.begin(), dh.end(), dh0.begin() + d * batch * hidden);
    std::copy(dc.begin(), dc.end(), dc0.begin() + d * batch * hidden);
  }

  auto as_tensor = [](const Tensor& like, const std::vector<double>& values) {
    Tensor t(DataType::kFloat, like.shape());
    for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = static_cast<float>(values[i]);
    return t;
  };
  std::vector<Tensor> grads(op.inputs.size());
  grads[0] = as_tensor(x, dx);
  grads[1] = as_tensor(w, dw);
  grads[2] = as_tensor(r, dr);
  if (bias) grads[3] = as_tensor(*bias, db);
  if (h0) grads[5] = as_tensor(*h0, dh0);
  if (c0) grads[6] = as_tensor(*c0, dc0);
  return grads;
}

}  // namespace qplay::train
