// Gemm, MatMul and their integer forms (MatMulInteger, QLinearMatMul, com.microsoft QGemm).
#include "kernels/broadcast.h"
#include "kernels/matmul_plan.h"
#include "kernels/quant_math.h"
#include "kernels/registry.h"

namespace qplay {
namespace {

Status MatMul(KernelContext& ctx) {
  const Tensor &a = ctx.in(0), &b = ctx.in(1);
  if (a.dtype() != b.dtype()) return ctx.Invalid("A is ", DataTypeName(a.dtype()), " but B is ", DataTypeName(b.dtype()));
  auto plan = PlanMatMul(a.shape(), b.shape());
  if (!plan.ok()) return plan.status();
  Tensor& out = ctx.Output(0, a.dtype(), plan->output);
  bool visited = VisitNumeric(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    // Integer products accumulate in uint64, where overflow wraps (defined) as int64 would.
    using Acc = std::conditional_t<std::is_floating_point_v<T>, T, uint64_t>;
    const T *pa = a.data<T>(), *pb = b.data<T>();
    T* po = out.data<T>();
    RunMatMul<Acc>(*plan, [pa](int64_t i, int64_t) { return pa[i]; }, [pb](int64_t i, int64_t) { return pb[i]; },
                   [po](int64_t i, Acc acc, int64_t, int64_t) { po[i] = static_cast<T>(acc); });
  });
  return visited ? Status::Ok() : ctx.Unsupported("element type ", DataTypeName(a.dtype()));
}

// t with its last two dims swapped (float32).
Tensor LastTwoDimsSwapped(const Tensor& t) {
  Shape shape = t.shape();
  const int64_t rows = shape.end()[-2], cols = shape.end()[-1];
  std::swap(shape.end()[-1], shape.end()[-2]);
  Tensor out(DataType::kFloat, shape);
  const int64_t plane = rows * cols;
  for (int64_t b = 0; b < (plane ? t.size() / plane : 0); ++b)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) out.data<float>()[b * plane + c * rows + r] = t.data<float>()[b * plane + r * cols + c];
  return out;
}

// com.microsoft FusedMatMul: alpha x MatMul(A or its last two dims swapped, B likewise).
Status FusedMatMul(KernelContext& ctx) {
  if (ctx.node.GetInt("transBatchA", 0) || ctx.node.GetInt("transBatchB", 0)) return ctx.Unsupported("transBatchA/transBatchB");
  const Tensor &a_in = ctx.in(0), &b_in = ctx.in(1);
  if (a_in.dtype() != DataType::kFloat || b_in.dtype() != DataType::kFloat) return ctx.Unsupported("element type ", DataTypeName(a_in.dtype()));
  auto operand = [&](const Tensor& t, const char* transposed, const char* name) -> Result<Tensor> {
    if (!ctx.node.GetInt(transposed, 0)) return t;
    if (t.rank() < 2) return ctx.Invalid(name, " must have 2 dims or more to be transposed, got ", ShapeToString(t.shape()));
    return LastTwoDimsSwapped(t);
  };
  auto a = operand(a_in, "transA", "A");
  auto b = operand(b_in, "transB", "B");
  if (!a.ok() || !b.ok()) return a.ok() ? b.status() : a.status();
  auto plan = PlanMatMul(a->shape(), b->shape());
  if (!plan.ok()) return plan.status();
  Tensor& out = ctx.Output(0, DataType::kFloat, plan->output);
  const float alpha = ctx.node.GetFloat("alpha", 1.0f);
  const float *pa = a->data<float>(), *pb = b->data<float>();
  float* po = out.data<float>();
  RunMatMul<float>(*plan, [pa](int64_t i, int64_t) { return pa[i]; }, [pb](int64_t i, int64_t) { return pb[i]; },
                   [po, alpha](int64_t i, float acc, int64_t, int64_t) { po[i] = alpha * acc; });
  return Status::Ok();
}

Status Gemm(KernelContext& ctx) {
  const Tensor &a = ctx.in(0), &b = ctx.in(1);
  if (a.rank() != 2 || b.rank() != 2)
    return ctx.Invalid("A and B must be 2-D, got ", ShapeToString(a.shape()), " and ", ShapeToString(b.shape()));
  const bool ta = ctx.node.GetInt("transA", 0), tb = ctx.node.GetInt("transB", 0);
  const double alpha = ctx.node.GetFloat("alpha", 1.0f), beta = ctx.node.GetFloat("beta", 1.0f);
  const int64_t m = ta ? a.dim(1) : a.dim(0), k = ta ? a.dim(0) : a.dim(1);
  const int64_t n = tb ? b.dim(0) : b.dim(1), kb = tb ? b.dim(1) : b.dim(0);
  if (k != kb)
    return ctx.Invalid("A ", ShapeToString(a.shape()), (ta ? " (transposed)" : ""), " and B ", ShapeToString(b.shape()),
                       (tb ? " (transposed)" : ""), " disagree on K (", k, " vs ", kb, ")");
  Tensor c_broadcast;
  if (ctx.has(2)) {
    auto shape = BroadcastShapes({ctx.in(2).shape(), {m, n}});
    if (!shape.ok() || *shape != Shape{m, n})
      return ctx.Invalid("C of shape ", ShapeToString(ctx.in(2).shape()), " does not broadcast to [", m, ", ", n, "]");
  }
  Tensor& out = ctx.Output(0, a.dtype(), {m, n});
  bool visited = VisitNumeric(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    // Integer products accumulate in uint64, where overflow wraps (defined) as int64 would.
    using Acc = std::conditional_t<std::is_floating_point_v<T>, T, uint64_t>;
    const T *pa = a.data<T>(), *pb = b.data<T>();
    T* po = out.data<T>();
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        Acc acc = 0;
        for (int64_t p = 0; p < k; ++p)
          acc += static_cast<Acc>(pa[ta ? p * m + i : i * k + p]) * static_cast<Acc>(pb[tb ? j * k + p : p * n + j]);
        po[i * n + j] = static_cast<T>(alpha * acc);
      }
    if (ctx.has(2)) {
      const Tensor& c = ctx.in(2);
      ForEachBroadcast({m, n}, {c.shape()}, [&](int64_t i, const int64_t* o) {
        po[i] = static_cast<T>(po[i] + beta * static_cast<double>(c.data<T>()[o[0]]));
      });
    }
  });
  return visited ? Status::Ok() : ctx.Unsupported("element type ", DataTypeName(a.dtype()));
}

Status MatMulInteger(KernelContext& ctx) {
  const Tensor &a = ctx.in(0), &b = ctx.in(1);
  if (!Is8Bit(a) || !Is8Bit(b)) return ctx.Unsupported("A and B must be uint8/int8");
  auto plan = PlanMatMul(a.shape(), b.shape());
  if (!plan.ok()) return plan.status();
  const Tensor* a_zp = ctx.has(2) ? &ctx.in(2) : nullptr;
  const Tensor* b_zp = ctx.has(3) ? &ctx.in(3) : nullptr;
  Tensor& out = ctx.Output(0, DataType::kInt32, plan->output);
  int32_t* po = out.data<int32_t>();
  RunMatMul<int32_t>(*plan, [&](int64_t i, int64_t row) { return LoadInt8(a, i) - ZeroPointAt(a_zp, row); },
                     [&](int64_t i, int64_t col) { return LoadInt8(b, i) - ZeroPointAt(b_zp, col); },
                     [po](int64_t i, int32_t acc, int64_t, int64_t) { po[i] = acc; });
  return Status::Ok();
}

// com.microsoft MatMulIntegerToFloat: MatMulInteger's accumulators as floats times
// a_scale x b_scale (per column or per tensor), plus a bias per column when given.
Status MatMulIntegerToFloat(KernelContext& ctx) {
  const Tensor &a = ctx.in(0), &b = ctx.in(1), &a_scale = ctx.in(2), &b_scale = ctx.in(3);
  if (!Is8Bit(a) || !Is8Bit(b)) return ctx.Unsupported("A and B must be uint8/int8");
  auto plan = PlanMatMul(a.shape(), b.shape());
  if (!plan.ok()) return plan.status();
  const Tensor* a_zp = ctx.has(4) ? &ctx.in(4) : nullptr;
  const Tensor* b_zp = ctx.has(5) ? &ctx.in(5) : nullptr;
  const Tensor* bias = ctx.has(6) ? &ctx.in(6) : nullptr;
  if (a_scale.size() != 1) return ctx.Invalid("a_scale has ", a_scale.size(), " values (one expected)");
  for (const auto& [what, t] : {std::pair{"b_scale", &b_scale}, std::pair{"b_zero_point", b_zp}, std::pair{"bias", bias}})
    if (t && t->size() != 1 && t->size() != plan->n) return ctx.Invalid(what, " has ", t->size(), " values for ", plan->n, " columns");
  if (a_zp && a_zp->size() != 1) return ctx.Invalid("a_zero_point has ", a_zp->size(), " values (one expected)");
  Tensor& out = ctx.Output(0, DataType::kFloat, plan->output);
  float* po = out.data<float>();
  const float* pb = b_scale.data<float>();
  RunMatMul<int32_t>(*plan, [&](int64_t i, int64_t row) { return LoadInt8(a, i) - ZeroPointAt(a_zp, 0); },
                     [&](int64_t i, int64_t col) { return LoadInt8(b, i) - ZeroPointAt(b_zp, col); },
                     [&](int64_t i, int32_t acc, int64_t, int64_t col) {
                       po[i] = static_cast<float>(acc) * (a_scale.data<float>()[0] * pb[b_scale.size() == 1 ? 0 : col]);
                       if (bias) po[i] += bias->data<float>()[bias->size() == 1 ? 0 : col];
                     });
  return Status::Ok();
}

Status QLinearMatMul(KernelContext& ctx) {
  const Tensor &a = ctx.in(0), &b = ctx.in(3), &y_zp = ctx.in(7);
  if (!Is8Bit(a) || !Is8Bit(b)) return ctx.Unsupported("A and B must be uint8/int8");
  auto plan = PlanMatMul(a.shape(), b.shape());
  if (!plan.ok()) return plan.status();
  const Tensor &a_scale = ctx.in(1), &b_scale = ctx.in(4), &y_scale = ctx.in(6);
  const Tensor *a_zp = &ctx.in(2), *b_zp = &ctx.in(5);
  std::vector<int32_t> acc(static_cast<size_t>(NumElements(plan->output)));
  std::vector<float> multiplier(acc.size());
  RunMatMul<int32_t>(*plan, [&](int64_t i, int64_t row) { return LoadInt8(a, i) - ZeroPointAt(a_zp, row); },
                     [&](int64_t i, int64_t col) { return LoadInt8(b, i) - ZeroPointAt(b_zp, col); },
                     [&](int64_t i, int32_t value, int64_t row, int64_t col) {
                       acc[i] = value;
                       float sa = a_scale.data<float>()[a_scale.size() == 1 ? 0 : row];
                       float sb = b_scale.data<float>()[b_scale.size() == 1 ? 0 : col];
                       multiplier[i] = sa * sb / y_scale.data<float>()[0];
                     });
  Tensor& out = ctx.Output(0, y_zp.dtype(), plan->output);
  const int32_t zp = ZeroPointAt(&y_zp, 0);
  StoreQuantized(out, [&](int64_t i) { return std::nearbyint(static_cast<float>(acc[i]) * multiplier[i]) + static_cast<float>(zp); });
  return Status::Ok();
}

// com.microsoft QGemm: alpha x (A - a_zp)(B - b_zp) x a_scale x b_scale (+ int32 C at that
// scale), requantized with y_scale / y_zero_point, or returned as float when they are absent.
Status QGemm(KernelContext& ctx) {
  const Tensor &a = ctx.in(0), &b = ctx.in(3);
  if (!Is8Bit(a) || !Is8Bit(b)) return ctx.Unsupported("A and B must be uint8/int8");
  if (a.rank() != 2 || b.rank() != 2)
    return ctx.Invalid("A and B must be 2-D, got ", ShapeToString(a.shape()), " and ", ShapeToString(b.shape()));
  const bool ta = ctx.node.GetInt("transA", 0), tb = ctx.node.GetInt("transB", 0);
  const float alpha = ctx.node.GetFloat("alpha", 1.0f);
  const int64_t m = ta ? a.dim(1) : a.dim(0), k = ta ? a.dim(0) : a.dim(1);
  const int64_t n = tb ? b.dim(0) : b.dim(1), kb = tb ? b.dim(1) : b.dim(0);
  if (k != kb) return ctx.Invalid("A ", ShapeToString(a.shape()), " and B ", ShapeToString(b.shape()), " disagree on K");
  const Tensor &a_scale = ctx.in(1), &b_scale = ctx.in(4);
  const Tensor *a_zp = &ctx.in(2), *b_zp = &ctx.in(5);
  if (b_scale.size() != 1 && b_scale.size() != n) return ctx.Invalid("b_scale must hold 1 or N = ", n, " values");
  std::vector<int32_t> acc(static_cast<size_t>(m * n), 0);
  if (ctx.has(6)) {
    const Tensor& c = ctx.in(6);
    if (c.dtype() != DataType::kInt32) return ctx.Invalid("C must be int32, got ", DataTypeName(c.dtype()));
    auto shape = BroadcastShapes({c.shape(), {m, n}});
    if (!shape.ok() || *shape != Shape{m, n})
      return ctx.Invalid("C of shape ", ShapeToString(c.shape()), " does not broadcast to [", m, ", ", n, "]");
    ForEachBroadcast({m, n}, {c.shape()}, [&](int64_t i, const int64_t* o) { acc[i] = c.data<int32_t>()[o[0]]; });
  }
  const int32_t za = ZeroPointAt(a_zp, 0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p)
        acc[i * n + j] += (LoadInt8(a, ta ? p * m + i : i * k + p) - za) *
                          (LoadInt8(b, tb ? j * k + p : p * n + j) - ZeroPointAt(b_zp, j));
  auto multiplier = [&](int64_t j) {
    return alpha * a_scale.data<float>()[0] * b_scale.data<float>()[b_scale.size() == 1 ? 0 : j];
  };
  if (!ctx.has(7)) {
    Tensor& y = ctx.Output(0, DataType::kFloat, {m, n});
    for (int64_t i = 0; i < m * n; ++i) y.data<float>()[i] = static_cast<float>(acc[i]) * multiplier(i % n);
    return Status::Ok();
  }
  const float y_scale = ctx.in(7).data<float>()[0];
  const Tensor* y_zp = ctx.has(8) ? &ctx.in(8) : nullptr;
  Tensor& y = ctx.Output(0, y_zp ? y_zp->dtype() : DataType::kUint8, {m, n});
  const float zp = static_cast<float>(ZeroPointAt(y_zp, 0));
  StoreQuantized(y, [&](int64_t i) { return std::nearbyint(static_cast<float>(acc[i]) * (multiplier(i % n) / y_scale)) + zp; });
  return Status::Ok();
}

}  // namespace

void RegisterMatMulKernels(KernelRegistry& r) {
  r.Add("MatMul", MatMul);
  r.Add("Gemm", Gemm);
  r.Add("MatMulInteger", MatMulInteger);
  r.Add("MatMulIntegerToFloat", MatMulIntegerToFloat, "com.microsoft");
  r.Add("QLinearMatMul", QLinearMatMul);
  r.Add("QGemm", QGemm, "com.microsoft");
  r.Add("FusedMatMul", FusedMatMul, "com.microsoft");
}

}  // namespace qplay
