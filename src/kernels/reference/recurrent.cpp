// Recurrent layers LSTM, GRU and RNN (ONNX gate orders iofc / zrh), forward, reverse or
// bidirectional, with optional bias, initial states, peepholes, clip and sequence_lens; and
// com.microsoft DynamicQuantizeLSTM, the LSTM whose gate projections are 8-bit GEMMs.
#include <algorithm>
#include <cmath>

#include "kernels/quant_math.h"
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

// The gates' pre-activations from x_t (input projection) and from h_{t-1} of every batch row
// (recurrence projection), added into rows of g x hidden values.
class GateProjection {
 public:
  virtual ~GateProjection() = default;
  virtual void StartDirection(int64_t /*d*/) {}
  virtual void AddInput(int64_t d, int64_t t, int64_t b, float* gates) const = 0;
  virtual void AddRecurrence(int64_t d, const std::vector<float>& h, std::vector<float>& recur) const = 0;
};

// Float weights in ONNX's layout: W [directions, g x hidden, input], R [directions, g x hidden, hidden].
class FloatProjection : public GateProjection {
 public:
  FloatProjection(const Tensor& x, const Tensor& w, const Tensor& r, int64_t rows, int64_t hidden)
      : x_(x), w_(w), r_(r), rows_(rows), hidden_(hidden), input_(x.dim(2)), batch_(x.dim(1)) {}
  void AddInput(int64_t d, int64_t t, int64_t b, float* gates) const override {
    AddMatVec(x_.data<float>() + (t * batch_ + b) * input_, w_.data<float>() + d * rows_ * input_, 0, rows_, input_, gates);
  }
  void AddRecurrence(int64_t d, const std::vector<float>& h, std::vector<float>& recur) const override {
    for (int64_t b = 0; b < batch_; ++b)
      AddMatVec(h.data() + b * hidden_, r_.data<float>() + d * rows_ * hidden_, 0, rows_, hidden_, recur.data() + b * rows_);
  }

 private:
  const Tensor &x_, &w_, &r_;
  int64_t rows_, hidden_, input_, batch_;
};

// ONNX Runtime's DynamicQuantizeLSTM: W [directions, input, 4 x hidden] and R [directions,
// hidden, 4 x hidden] in 8 bits with a scale per direction or per column and one zero point;
// the whole input sequence, then each step's h of all rows, are quantized to uint8 by their
// own range (as DynamicQuantizeLinear, scale 1 for an all-zero tensor) and multiplied in
// int32, scaled back by input scale x weight scale of the column.
class QuantizedProjection : public GateProjection {
 public:
  QuantizedProjection(const Tensor& x, const Tensor& w, const Tensor& r, const Tensor& w_scale, const Tensor& w_zero_point,
                      const Tensor& r_scale, const Tensor& r_zero_point, int64_t hidden)
      : x_(x), w_(w), r_(r), w_scale_(w_scale), w_zp_(w_zero_point), r_scale_(r_scale), r_zp_(r_zero_point), hidden_(hidden),
        columns_(4 * hidden), batch_(x.dim(1)) {}

  void StartDirection(int64_t d) override {
    const int64_t rows = x_.dim(0) * batch_;
    input_gates_.assign(static_cast<size_t>(rows * columns_), 0.0f);
    Multiply(x_.data<float>(), rows, x_.dim(2), w_, w_scale_, w_zp_, d, input_gates_.data());
  }
  void AddInput(int64_t, int64_t t, int64_t b, float* gates) const override {
    const float* row = input_gates_.data() + (t * batch_ + b) * columns_;
    for (int64_t n = 0; n < columns_; ++n) gates[n] += row[n];
  }
  void AddRecurrence(int64_t d, const std::vector<float>& h, std::vector<float>& recur) const override {
    Multiply(h.data(), batch_, hidden_, r_, r_scale_, r_zp_, d, recur.data());
  }

 private:
  // out[m, n] += (quantized a[m, :] . w[d, :, n]) x a_scale x w_scale[n], for m < rows.
  void Multiply(const float* a, int64_t rows, int64_t k, const Tensor& w, const Tensor& scale, const Tensor& zero_point,
                int64_t d, float* out) const {
    const int64_t count = rows * k;
    float lo = 0, hi = 0;
    for (int64_t i = 0; i < count; ++i) lo = std::min(lo, a[i]), hi = std::max(hi, a[i]);
    const float a_scale = hi == lo ? 1.0f : (hi - lo) / 255.0f;
    const int32_t a_zp = static_cast<int32_t>(std::nearbyint(std::clamp(0.0f - lo / a_scale, 0.0f, 255.0f)));
    std::vector<int32_t> qa(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i)
      qa[i] = static_cast<int32_t>(std::clamp(std::nearbyint(a[i] / a_scale) + static_cast<float>(a_zp), 0.0f, 255.0f)) - a_zp;
    const int32_t w_zp = LoadInt8(zero_point, d * (zero_point.size() / w.dim(0)));
    const int64_t per_direction = scale.size() / w.dim(0);
    std::vector<int32_t> acc(static_cast<size_t>(columns_));
    for (int64_t m = 0; m < rows; ++m) {
      std::fill(acc.begin(), acc.end(), 0);
      for (int64_t kk = 0; kk < k; ++kk) {
        const int32_t av = qa[m * k + kk];
        if (av == 0) continue;
        const int64_t base = (d * k + kk) * columns_;
        for (int64_t n = 0; n < columns_; ++n) acc[n] += av * (LoadInt8(w, base + n) - w_zp);
      }
      for (int64_t n = 0; n < columns_; ++n)
        out[m * columns_ + n] += static_cast<float>(acc[n]) * (a_scale * scale.data<float>()[d * per_direction + (per_direction > 1 ? n : 0)]);
    }
  }

  const Tensor &x_, &w_, &r_, &w_scale_, &w_zp_, &r_scale_, &r_zp_;
  int64_t hidden_, columns_, batch_;
  std::vector<float> input_gates_;
};

Status RunRecurrent(KernelContext& ctx, const RecurrentSpec& spec, GateProjection* quantized = nullptr) {
  const Tensor &x = ctx.in(0), &w = ctx.in(1), &r = ctx.in(2);
  if (x.dtype() != DataType::kFloat) return ctx.Unsupported("element type ", DataTypeName(x.dtype()));
  if (ctx.node.GetInt("layout", 0) != 0) return ctx.Unsupported("layout=1 (batch-first)");
  if (ctx.node.GetInt("input_forget", 0) != 0) return ctx.Unsupported("input_forget=1");
  if (x.rank() != 3 || w.rank() != 3 || r.rank() != 3)
    return ctx.Invalid("X, W and R must be 3-D, got ", ShapeToString(x.shape()), ", ", ShapeToString(w.shape()), ", ", ShapeToString(r.shape()));
  const std::string direction = ctx.node.GetString("direction", "forward");
  const int64_t dirs = direction == "bidirectional" ? 2 : 1;
  const int64_t seq = x.dim(0), batch = x.dim(1), input = x.dim(2);
  const int64_t g = spec.gates;
  // DynamicQuantizeLSTM stores W and R transposed: [directions, input or hidden, g x hidden].
  const int64_t hidden = ctx.node.GetInt("hidden_size", quantized ? r.dim(1) : r.dim(2));
  const Shape expected_w = quantized ? Shape{dirs, input, g * hidden} : Shape{dirs, g * hidden, input};
  const Shape expected_r = quantized ? Shape{dirs, hidden, g * hidden} : Shape{dirs, g * hidden, hidden};
  if (w.shape() != expected_w || r.shape() != expected_r)
    return ctx.Invalid("W ", ShapeToString(w.shape()), " / R ", ShapeToString(r.shape()), " do not match ", dirs,
                       " direction(s), hidden_size ", hidden, " and input size ", input, " (expected ", ShapeToString(expected_w),
                       " / ", ShapeToString(expected_r), ")");
  auto activations = ReadActivations(ctx, spec, dirs);
  if (!activations.ok()) return activations.status();
  const float clip = ctx.node.GetFloat("clip", 0.0f);
  const bool linear_before_reset = ctx.node.GetInt("linear_before_reset", 0) != 0;
  const Tensor* bias = ctx.has(3) ? &ctx.in(3) : nullptr;
  const Tensor* lengths = ctx.has(4) ? &ctx.in(4) : nullptr;
  const Tensor* initial_h = ctx.has(5) ? &ctx.in(5) : nullptr;
  const Tensor* initial_c = spec.cell == Cell::kLstm && ctx.has(6) ? &ctx.in(6) : nullptr;
  const Tensor* peephole = spec.cell == Cell::kLstm && ctx.has(7) ? &ctx.in(7) : nullptr;
  // The optional inputs, each read by index below: their shapes must be exactly these.
  const std::pair<const Tensor*, Shape> optional_inputs[] = {
      {bias, {dirs, 2 * g * hidden}}, {lengths, {batch}}, {initial_h, {dirs, batch, hidden}},
      {initial_c, {dirs, batch, hidden}}, {peephole, {dirs, 3 * hidden}}};
  static const char* const kOptionalNames[] = {"B", "sequence_lens", "initial_h", "initial_c", "P"};
  for (size_t i = 0; i < std::size(optional_inputs); ++i) {
    const auto& [tensor, shape] = optional_inputs[i];
    if (tensor && tensor->shape() != shape)
      return ctx.Invalid(kOptionalNames[i], " has shape ", ShapeToString(tensor->shape()), "; expected ", ShapeToString(shape));
  }

  FloatProjection float_projection(x, w, r, g * hidden, hidden);
  GateProjection& projection = quantized ? *quantized : float_projection;
  Tensor y(DataType::kFloat, {seq, dirs, batch, hidden});
  Tensor y_h(DataType::kFloat, {dirs, batch, hidden}), y_c(DataType::kFloat, {dirs, batch, hidden});
  std::vector<float> all_h(static_cast<size_t>(batch * hidden)), all_c(all_h.size());
  std::vector<float> gates(static_cast<size_t>(g * hidden)), all_recur(static_cast<size_t>(batch * g * hidden));
  auto clipped = [clip](float v) { return clip > 0 ? std::clamp(v, -clip, clip) : v; };
  std::vector<int64_t> length(static_cast<size_t>(batch), seq);
  for (int64_t b = 0; b < batch && lengths; ++b) length[b] = std::min(seq, lengths->GetAsInt64(b));

  for (int64_t d = 0; d < dirs; ++d) {
    const bool reverse = direction == "reverse" || d == 1;
    const float* rd = quantized ? nullptr : r.data<float>() + d * g * hidden * hidden;  // GRU's reset projection
    projection.StartDirection(d);
    const float* wb = bias ? bias->data<float>() + d * 2 * g * hidden : nullptr;
    const float* rb = wb ? wb + g * hidden : nullptr;
    const float* p = peephole ? peephole->data<float>() + d * 3 * hidden : nullptr;
    const Activation f = (*activations)[d * spec.activations.size()];
    const Activation gfn = spec.activations.size() > 1 ? (*activations)[d * spec.activations.size() + 1] : f;
    const Activation hfn = spec.activations.size() > 2 ? (*activations)[d * spec.activations.size() + 2] : f;
    std::fill(all_h.begin(), all_h.end(), 0.0f);
    std::fill(all_c.begin(), all_c.end(), 0.0f);
    if (initial_h) std::copy_n(initial_h->data<float>() + d * batch * hidden, batch * hidden, all_h.begin());
    if (initial_c) std::copy_n(initial_c->data<float>() + d * batch * hidden, batch * hidden, all_c.begin());
    // Step by step over every batch row at once, as the recurrence projection takes all of h.
    for (int64_t step = 0; step < seq; ++step) {
      std::fill(all_recur.begin(), all_recur.end(), 0.0f);
      projection.AddRecurrence(d, all_h, all_recur);
      for (int64_t b = 0; b < batch; ++b) {
        if (step >= length[b]) continue;
        const int64_t t = reverse ? length[b] - 1 - step : step;
        float* h = all_h.data() + b * hidden;
        float* c = all_c.data() + b * hidden;
        float* recur = all_recur.data() + b * g * hidden;
        std::fill(gates.begin(), gates.end(), 0.0f);
        projection.AddInput(d, t, b, gates.data());
        if (spec.cell == Cell::kGru) {  // r multiplies the recurrence's candidate part alone
          for (int64_t j = 0; j < g * hidden; ++j) {
            if (wb) gates[j] += wb[j];
            if (rb) recur[j] += rb[j];
          }
        } else {  // (x W + h R) + (Wb + Rb), the order ONNX Runtime adds them in
          for (int64_t j = 0; j < g * hidden; ++j) {
            gates[j] = (gates[j] + recur[j]) + ((wb ? wb[j] : 0.0f) + (rb ? rb[j] : 0.0f));
            recur[j] = 0.0f;
          }
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
        std::copy_n(h, hidden, y.data<float>() + ((t * dirs + d) * batch + b) * hidden);
      }
    }
    std::copy(all_h.begin(), all_h.end(), y_h.data<float>() + d * batch * hidden);
    std::copy(all_c.begin(), all_c.end(), y_c.data<float>() + d * batch * hidden);
  }
  if (ctx.wants(0)) ctx.SetOutput(0, y);
  if (ctx.wants(1)) ctx.SetOutput(1, y_h);
  if (ctx.wants(2)) ctx.SetOutput(2, y_c);
  return Status::Ok();
}

const RecurrentSpec kLstmSpec{Cell::kLstm, 4, {"Sigmoid", "Tanh", "Tanh"}};
Status Lstm(KernelContext& ctx) { return RunRecurrent(ctx, kLstmSpec); }

// Inputs as LSTM's, with W and R transposed and 8-bit, then W_scale, W_zero_point, R_scale, R_zero_point.
Status DynamicQuantizeLstm(KernelContext& ctx) {
  for (int i : {1, 2, 9, 11})
    if (!ctx.has(i) || !Is8Bit(ctx.in(i))) return ctx.Invalid("input ", i, " must be an 8-bit tensor");
  for (int i : {8, 10})
    if (!ctx.has(i) || ctx.in(i).dtype() != DataType::kFloat) return ctx.Invalid("input ", i, " must be a float scale");
  const Tensor &x = ctx.in(0), &w = ctx.in(1), &r = ctx.in(2);
  if (x.rank() != 3 || w.rank() != 3 || r.rank() != 3) return ctx.Invalid("X, W and R must be 3-D");
  const int64_t dirs = w.dim(0), hidden = r.dim(1);
  for (int i : {8, 9, 10, 11})
    if (ctx.in(i).size() != dirs && ctx.in(i).size() != dirs * 4 * hidden)
      return ctx.Invalid("input ", i, " must have one value per direction or per column, got ", ShapeToString(ctx.in(i).shape()));
  if (ctx.has(4))
    for (int64_t b = 0; b < x.dim(1); ++b)
      if (ctx.in(4).GetAsInt64(b) != x.dim(0)) return ctx.Unsupported("sequence_lens shorter than the sequence");
  QuantizedProjection projection(x, w, r, ctx.in(8), ctx.in(9), ctx.in(10), ctx.in(11), hidden);
  return RunRecurrent(ctx, kLstmSpec, &projection);
}
Status Gru(KernelContext& ctx) { return RunRecurrent(ctx, {Cell::kGru, 3, {"Sigmoid", "Tanh"}}); }
Status Rnn(KernelContext& ctx) { return RunRecurrent(ctx, {Cell::kRnn, 1, {"Tanh"}}); }

}  // namespace

void RegisterRecurrentKernels(KernelRegistry& r) {
  r.Add("LSTM", Lstm);
  r.Add("DynamicQuantizeLSTM", DynamicQuantizeLstm, "com.microsoft");
  r.Add("GRU", Gru);
  r.Add("RNN", Rnn);
}

}  // namespace qplay
