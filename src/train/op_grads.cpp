#include "train/op_grads.h"

#include <cmath>
#include <map>

#include "kernels/broadcast.h"
#include "kernels/matmul_plan.h"
#include "ops/schema.h"
#include "train/layers.h"
#include "train/lstm_grads.h"

namespace qplay::train {
namespace {

bool IsFloatTensor(const Tensor* t) { return t && t->dtype() == DataType::kFloat; }

Tensor ZerosLike(const Tensor& t) { return Tensor(DataType::kFloat, t.shape()); }

// One output's gradient for the node's first input, none for the others.
std::vector<Tensor> FirstInputGradient(const OpBackward& op, Tensor dx) {
  std::vector<Tensor> grads(op.inputs.size());
  grads[0] = std::move(dx);
  return grads;
}

// Ops that keep their data input's elements in order (the reshapes): dy reshaped.
Result<std::vector<Tensor>> ReshapedGradients(const OpBackward& op) {
  return FirstInputGradient(op, op.dy.Reshaped(op.inputs[0]->shape()).Clone());
}

// An op that only moves elements: its gradient traced through its own forward kernel: input i replaced by its
// element numbers (1-based, as floats: exact below 2^24) and the other data inputs by zeros,
// the output says where each element came from, and dy is added back there.
Result<std::vector<Tensor>> MovedGradients(const OpBackward& op) {
  constexpr int64_t kExactIntegers = int64_t{1} << 24;
  std::vector<Tensor> grads(op.inputs.size());
  for (size_t i = 0; i < op.inputs.size(); ++i) {
    if (!IsFloatTensor(op.inputs[i]) || !GradientReaches(op.node, i)) continue;
    const Tensor& x = *op.inputs[i];
    if (x.size() >= kExactIntegers)
      return Fail(StatusCode::kUnsupported, op.node.Describe(), ": training moves tensors below 2^24 elements, got ", x.size());
    Tensor numbers(DataType::kFloat, x.shape());
    for (int64_t e = 0; e < x.size(); ++e) numbers.data<float>()[e] = static_cast<float>(e + 1);
    std::vector<Tensor> zeros;
    zeros.reserve(op.inputs.size());
    std::vector<const Tensor*> traced = op.inputs;
    for (size_t j = 0; j < op.inputs.size(); ++j)
      if (j != i && IsFloatTensor(op.inputs[j]) && GradientReaches(op.node, j)) traced[j] = &zeros.emplace_back(ZerosLike(*op.inputs[j]));
    traced[i] = &numbers;
    auto sources = RunKernel(op.node, op.opset, traced);
    if (!sources.ok()) return sources.status();
    const float* source_of = (*sources)[0].data<float>();
    Tensor dx = ZerosLike(x);
    for (int64_t e = 0; e < op.dy.size(); ++e) {
      const auto source = static_cast<int64_t>(source_of[e]);
      if (source > 0) dx.data<float>()[source - 1] += op.dy.data<float>()[e];
    }
    grads[i] = std::move(dx);
  }
  return grads;
}

// Add, Sub, Mul and Div with numpy broadcasting: each input's gradient summed over the dims
// it was broadcast along.
Result<std::vector<Tensor>> BinaryGradients(const OpBackward& op) {
  if (!IsFloatTensor(op.inputs[1])) return std::vector<Tensor>(op.inputs.size());
  const Tensor &a = *op.inputs[0], &b = *op.inputs[1];
  const std::string& type = op.node.op_type;
  Tensor da = ZerosLike(a), db = ZerosLike(b);
  const float *pa = a.data<float>(), *pb = b.data<float>(), *dy = op.dy.data<float>();
  ForEachBroadcast(op.dy.shape(), {a.shape(), b.shape()}, [&](int64_t i, const int64_t* at) {
    const float g = dy[i], va = pa[at[0]], vb = pb[at[1]];
    float ga = g, gb = g;
    if (type == "Sub") gb = -g;
    if (type == "Mul") ga = g * vb, gb = g * va;
    if (type == "Div") ga = g / vb, gb = -g * va / (vb * vb);
    da.data<float>()[at[0]] += ga;
    db.data<float>()[at[1]] += gb;
  });
  std::vector<Tensor> grads(op.inputs.size());
  grads[0] = std::move(da);
  grads[1] = std::move(db);
  return grads;
}

// Element-wise ops with one float input: dy times the derivative at x (or from y).
Result<std::vector<Tensor>> UnaryGradients(const OpBackward& op) {
  constexpr double kTwoOverSqrtPi = 1.1283791670955126;
  const Tensor& x = *op.inputs[0];
  const std::string& type = op.node.op_type;
  Tensor dx = ZerosLike(x);
  for (int64_t i = 0; i < x.size(); ++i) {
    const double v = x.data<float>()[i], y = op.output.data<float>()[i];
    double d = 1;
    if (type == "Erf") d = kTwoOverSqrtPi * std::exp(-v * v);
    if (type == "Sigmoid") d = y * (1 - y);
    if (type == "Tanh") d = 1 - y * y;
    if (type == "HardSwish") d = v < -3 ? 0 : v > 3 ? 1 : (2 * v + 3) / 6;
    dx.data<float>()[i] = static_cast<float>(op.dy.data<float>()[i] * d);
  }
  std::vector<Tensor> grads(op.inputs.size());
  grads[0] = std::move(dx);
  return grads;
}

// The rows a softmax or normalization runs along: `outer` x [axis length] x `inner`, or with
// `inner` 1 and the row spanning every dim from the axis (opset < 13 Softmax, LayerNormalization).
struct Rows {
  int64_t outer = 1, length = 1, inner = 1;
};

Result<Rows> RowsOf(const OpBackward& op, const Shape& shape, int64_t default_axis, bool whole_tail) {
  int64_t axis = op.node.GetInt("axis", default_axis);
  const int64_t rank = static_cast<int64_t>(shape.size());
  if (!NormalizeAxis(axis, rank)) return Fail(StatusCode::kInvalidArgument, op.node.Describe(), ": axis out of range");
  Rows r;
  for (int64_t d = 0; d < axis; ++d) r.outer *= shape[d];
  for (int64_t d = axis; d < rank; ++d) (whole_tail || d == axis ? r.length : r.inner) *= shape[d];
  return r;
}

// Softmax: dx = y (dy − Σ dy·y) along each row.
Result<std::vector<Tensor>> SoftmaxGradients(const OpBackward& op) {
  const bool old_semantics = op.opset < 13;
  auto rows = RowsOf(op, op.output.shape(), old_semantics ? 1 : -1, old_semantics);
  if (!rows.ok()) return rows.status();
  Tensor dx = ZerosLike(*op.inputs[0]);
  const float *y = op.output.data<float>(), *dy = op.dy.data<float>();
  for (int64_t o = 0; o < rows->outer; ++o)
    for (int64_t in = 0; in < rows->inner; ++in) {
      auto at = [&](int64_t l) { return (o * rows->length + l) * rows->inner + in; };
      double dot = 0;
      for (int64_t l = 0; l < rows->length; ++l) dot += static_cast<double>(dy[at(l)]) * y[at(l)];
      for (int64_t l = 0; l < rows->length; ++l) dx.data<float>()[at(l)] = static_cast<float>(y[at(l)] * (dy[at(l)] - dot));
    }
  std::vector<Tensor> grads(op.inputs.size());
  grads[0] = std::move(dx);
  return grads;
}

// LayerNormalization over the dims from `axis`, x̂ = (x − mean) / σ: with g = dy · scale,
// dx = (g − mean(g) − x̂ · mean(g x̂)) / σ; dscale = Σ dy x̂ and dbias = Σ dy over the rows.
Result<std::vector<Tensor>> LayerNormGradients(const OpBackward& op) {
  const Tensor &x = *op.inputs[0], &scale = *op.inputs[1];
  const Tensor* bias = op.inputs.size() > 2 ? op.inputs[2] : nullptr;
  auto rows = RowsOf(op, x.shape(), -1, true);
  if (!rows.ok()) return rows.status();
  const double eps = op.node.GetFloat("epsilon", 1e-5f);
  const int64_t n = rows->length, scale_size = scale.size(), bias_size = bias ? bias->size() : 1;
  Tensor dx = ZerosLike(x), dscale = ZerosLike(scale), dbias = bias ? ZerosLike(*bias) : Tensor();
  std::vector<double> xhat(static_cast<size_t>(n)), g(static_cast<size_t>(n));
  for (int64_t o = 0; o < rows->outer; ++o) {
    const float *px = x.data<float>() + o * n, *dy = op.dy.data<float>() + o * n;
    double mean = 0, var = 0;
    for (int64_t i = 0; i < n; ++i) mean += px[i];
    mean /= static_cast<double>(n);
    for (int64_t i = 0; i < n; ++i) var += (px[i] - mean) * (px[i] - mean);
    const double inv_std = 1.0 / std::sqrt(var / static_cast<double>(n) + eps);
    double mean_g = 0, mean_gx = 0;
    for (int64_t i = 0; i < n; ++i) {
      xhat[i] = (px[i] - mean) * inv_std;
      g[i] = dy[i] * static_cast<double>(scale.data<float>()[i % scale_size]);
      mean_g += g[i];
      mean_gx += g[i] * xhat[i];
      dscale.data<float>()[i % scale_size] += static_cast<float>(dy[i] * xhat[i]);
      if (bias) dbias.data<float>()[i % bias_size] += dy[i];
    }
    mean_g /= static_cast<double>(n);
    mean_gx /= static_cast<double>(n);
    for (int64_t i = 0; i < n; ++i) dx.data<float>()[o * n + i] = static_cast<float>(inv_std * (g[i] - mean_g - xhat[i] * mean_gx));
  }
  std::vector<Tensor> grads(op.inputs.size());
  grads[0] = std::move(dx);
  grads[1] = std::move(dscale);
  if (bias) grads[2] = std::move(dbias);
  return grads;
}

// ReduceMean and ReduceSum: dy spread back over the reduced dims (divided by their count for the mean).
Result<std::vector<Tensor>> ReduceGradients(const OpBackward& op) {
  const Tensor& x = *op.inputs[0];
  std::vector<int64_t> axes = op.node.GetInts("axes");
  if (op.inputs.size() > 1 && op.inputs[1]) axes = op.inputs[1]->ToInt64Vector();
  if (axes.empty() && op.node.GetInt("noop_with_empty_axes", 0)) {
    std::vector<Tensor> grads(op.inputs.size());
    grads[0] = op.dy.Reshaped(x.shape()).Clone();
    return grads;
  }
  Shape kept = x.shape();
  std::vector<bool> reduced(kept.size(), axes.empty());
  for (int64_t a : axes) {
    if (!NormalizeAxis(a, x.rank())) return Fail(StatusCode::kInvalidArgument, op.node.Describe(), ": axis out of range");
    reduced[a] = true;
  }
  int64_t count = 1;
  for (size_t d = 0; d < kept.size(); ++d)
    if (reduced[d]) count *= kept[d], kept[d] = 1;
  const double factor = op.node.op_type == "ReduceMean" ? 1.0 / static_cast<double>(std::max<int64_t>(count, 1)) : 1.0;
  Tensor dx = ZerosLike(x);
  ForEachBroadcast(x.shape(), {kept}, [&](int64_t i, const int64_t* at) {
    dx.data<float>()[i] = static_cast<float>(op.dy.data<float>()[at[0]] * factor);
  });
  std::vector<Tensor> grads(op.inputs.size());
  grads[0] = std::move(dx);
  return grads;
}

// MatMul with numpy semantics: per batch, dA += dY Bᵀ and dB += Aᵀ dY (batches that share an
// operand through broadcasting add into the same gradient).
Result<std::vector<Tensor>> MatMulGradients(const OpBackward& op) {
  const Tensor &a = *op.inputs[0], &b = *op.inputs[1];
  auto plan = PlanMatMul(a.shape(), b.shape());
  if (!plan.ok()) return plan.status();
  const int64_t m = plan->m, k = plan->k, n = plan->n;
  Tensor da = ZerosLike(a), db = ZerosLike(b);
  for (size_t batch = 0; batch < plan->a_offsets.size(); ++batch) {
    const float* pa = a.data<float>() + plan->a_offsets[batch];
    const float* pb = b.data<float>() + plan->b_offsets[batch];
    const float* dy = op.dy.data<float>() + static_cast<int64_t>(batch) * m * n;
    float* pda = da.data<float>() + plan->a_offsets[batch];
    float* pdb = db.data<float>() + plan->b_offsets[batch];
    for (int64_t i = 0; i < m; ++i)
      for (int64_t p = 0; p < k; ++p) {
        double sum = 0;
        for (int64_t j = 0; j < n; ++j) sum += static_cast<double>(dy[i * n + j]) * pb[p * n + j];
        pda[i * k + p] += static_cast<float>(sum);
      }
    for (int64_t p = 0; p < k; ++p)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t i = 0; i < m; ++i) sum += static_cast<double>(pa[i * k + p]) * dy[i * n + j];
        pdb[p * n + j] += static_cast<float>(sum);
      }
  }
  std::vector<Tensor> grads(op.inputs.size());
  grads[0] = std::move(da);
  grads[1] = std::move(db);
  return grads;
}

// Relu and Clip: dy where x is inside the bounds (constant inputs of the node).
Result<std::vector<Tensor>> ClampGradients(const OpBackward& op) {
  const auto range = ClampRange(op.node, op.opset, [&](const std::string& name) -> const Tensor* {
    for (size_t i = 0; i < op.node.inputs.size() && i < op.inputs.size(); ++i)
      if (op.node.inputs[i] == name) return op.inputs[i];
    return nullptr;
  });
  if (!range) return Fail(StatusCode::kUnsupported, op.node.Describe(), ": bounds that are not one value each");
  return FirstInputGradient(op, ClampBackward(*op.inputs[0], range->first, range->second, op.dy));
}

bool HasBias(const OpBackward& op) { return op.inputs.size() > 2 && op.inputs[2]; }

Result<std::vector<Tensor>> ConvGradients(const OpBackward& op) {
  auto g = ConvBackward(op.node, *op.inputs[0], *op.inputs[1], HasBias(op), op.dy);
  if (!g.ok()) return g.status();
  return std::vector<Tensor>{std::move(g->dx), std::move(g->dw), std::move(g->db)};
}

// Gemm on an input of rank > 2 reads it as [N, rest], as its forward pass in training does.
Result<std::vector<Tensor>> GemmGradients(const OpBackward& op) {
  const Tensor& x = *op.inputs[0];
  const Tensor flat = x.rank() == 2 ? x : x.Reshaped({x.dim(0), x.size() / x.dim(0)});
  GemmGrads g = GemmBackward(op.node, flat, *op.inputs[1], HasBias(op), op.dy);
  return std::vector<Tensor>{g.dx.Reshaped(x.shape()), std::move(g.dw), std::move(g.db)};
}

// MaxPool: dy to the input each output took (found again by the forward pass).
Result<std::vector<Tensor>> MaxPoolGradients(const OpBackward& op) {
  std::vector<int64_t> argmax;
  auto y = MaxPoolForward(op.node, *op.inputs[0], argmax);
  if (!y.ok()) return y.status();
  return FirstInputGradient(op, MaxPoolBackward(*op.inputs[0], argmax, op.dy));
}

Result<std::vector<Tensor>> AveragePoolGradients(const OpBackward& op) {
  auto dx = AveragePoolBackward(op.node, *op.inputs[0], op.dy);
  if (!dx.ok()) return dx.status();
  return FirstInputGradient(op, std::move(*dx));
}

Result<std::vector<Tensor>> GlobalAveragePoolGradients(const OpBackward& op) {
  return FirstInputGradient(op, GlobalAveragePoolBackward(*op.inputs[0], op.dy));
}

using GradientFn = Result<std::vector<Tensor>> (*)(const OpBackward&);

// Each differentiable ai.onnx op's backward pass; its schema's Gradient() says which inputs it reaches.
const std::map<std::string, GradientFn>& Gradients() {
  static const std::map<std::string, GradientFn> table = [] {
    std::map<std::string, GradientFn> t;
    for (const char* op : {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity"}) t[op] = ReshapedGradients;
    for (const char* op : {"Transpose", "Slice", "Gather", "Concat", "Expand", "Tile", "DepthToSpace", "SpaceToDepth"})
      t[op] = MovedGradients;
    for (const char* op : {"Add", "Sub", "Mul", "Div"}) t[op] = BinaryGradients;
    for (const char* op : {"Erf", "Sigmoid", "Tanh", "HardSwish", "Cast"}) t[op] = UnaryGradients;
    for (const char* op : {"Relu", "Clip"}) t[op] = ClampGradients;
    for (const char* op : {"ReduceMean", "ReduceSum"}) t[op] = ReduceGradients;
    t["Softmax"] = SoftmaxGradients;
    t["LayerNormalization"] = LayerNormGradients;
    t["MatMul"] = MatMulGradients;
    t["LSTM"] = LstmGradients;
    t["Conv"] = ConvGradients;
    t["Gemm"] = GemmGradients;
    t["MaxPool"] = MaxPoolGradients;
    t["AveragePool"] = AveragePoolGradients;
    t["GlobalAveragePool"] = GlobalAveragePoolGradients;
    return t;
  }();
  return table;
}

}  // namespace

Result<std::vector<Tensor>> RunKernel(const Node& node, int64_t opset, std::vector<const Tensor*> inputs, KernelVariant variant) {
  while (!inputs.empty() && !inputs.back()) inputs.pop_back();  // so num_inputs() counts what is present
  KernelContext ctx(node, opset, std::move(inputs), [&](const Graph&, const std::vector<Tensor>&) -> Result<std::vector<Tensor>> {
    return Fail(StatusCode::kUnsupported, node.Describe(), ": training does not run subgraphs");
  });
  QPLAY_RETURN_IF_ERROR(Invoke(KernelRegistry::Get().Find(node.domain, node.op_type, variant), ctx).WithContext(node.Describe()));
  return std::move(ctx.outputs());
}

bool HasOpGradients(const Node& node) { return node.domain.empty() && Gradients().count(node.op_type); }

bool NeedsNoGradient(const Node& node) {
  const OpSchema* schema = SchemaRegistry::Get().Latest(node.domain, node.op_type);
  return schema && schema->NeedsNoGradient();
}

bool GradientReaches(const Node& node, size_t i) {
  const OpSchema* schema = SchemaRegistry::Get().Latest(node.domain, node.op_type);
  return schema && schema->GradientReaches(i);
}

Result<std::vector<Tensor>> OpGradients(const OpBackward& op) {
  std::vector<Tensor> none(op.inputs.size());
  if (!IsFloatTensor(&op.output) || !IsFloatTensor(op.inputs[0])) return none;  // shape arithmetic, integer data
  auto gradient = Gradients().find(op.node.op_type);
  if (gradient == Gradients().end() || !op.node.domain.empty())
    return Fail(StatusCode::kUnsupported, op.node.Describe(), ": quantization-aware training has no backward pass for ",
                op.node.op_type);
  return gradient->second(op);
}

}  // namespace qplay::train
