// Fast MatMul, Gemm, QLinearMatMul, MatMulInteger and com.microsoft QGemm and
// MatMulIntegerToFloat on the SIMD GEMMs.
// A constant B (a weight) is packed once per session and kept in the node's cache; a B
// computed at run time (attention) is packed per call. Shapes the GEMMs do not cover go to
// the reference.
#include <algorithm>
#include <memory>

#include "kernels/matmul_plan.h"
#include "kernels/quant_math.h"
#include "kernels/registry.h"
#include "kernels/simd/f32_gemm.h"
#include "kernels/simd/i8_gemm.h"
#include "kernels/simd/i8_gemm_relaxed.h"
#include "kernels/simd/i8_pack.h"

namespace qplay {
namespace {

// True when every batch of A follows the previous one and all use the same B (a 2-D weight):
// then the batches are one tall GEMM.
bool OneGemm(const MatMulPlan& plan) {
  for (size_t i = 0; i < plan.a_offsets.size(); ++i)
    if (plan.b_offsets[i] != 0 || plan.a_offsets[i] != static_cast<int64_t>(i) * plan.m * plan.k) return false;
  return true;
}

Status MatMul(KernelContext& ctx) {
  const Tensor &a = ctx.in(0), &b = ctx.in(1);
  if (a.dtype() != DataType::kFloat || b.dtype() != DataType::kFloat) return RunReferenceKernel(ctx);
  auto plan = PlanMatMul(a.shape(), b.shape());
  if (!plan.ok()) return plan.status();
  Tensor& out = ctx.OutputToOverwrite(0, DataType::kFloat, plan->output);
  const bool one = OneGemm(*plan);
  auto pack = [&](int64_t offset) { return PackF32B(b.data<float>() + offset, plan->k, plan->n, plan->n, 1); };
  if (one) {
    auto packed = ctx.Derived<F32PackedB>(ctx.constant(1), [&] { return pack(0); });
    f32_gemm_4x8__wasmsimd(plan->m * static_cast<int64_t>(plan->a_offsets.size()), a.data<float>(), plan->k, *packed,
                           out.data<float>(), plan->n, {});
    return Status::Ok();
  }
  for (size_t batch = 0; batch < plan->a_offsets.size(); ++batch) {
    const F32PackedB packed = pack(plan->b_offsets[batch]);
    f32_gemm_4x8__wasmsimd(plan->m, a.data<float>() + plan->a_offsets[batch], plan->k, packed,
                           out.data<float>() + static_cast<int64_t>(batch) * plan->m * plan->n, plan->n, {});
  }
  return Status::Ok();
}

// A C input that is one value per column ([N] or [1, N]), as a GEMM column bias.
bool IsColumnBias(const Tensor& c, int64_t n) {
  return c.size() == n && (c.rank() == 1 || (c.rank() == 2 && c.dim(0) == 1));
}

Status Gemm(KernelContext& ctx) {
  const Tensor &a = ctx.in(0), &b = ctx.in(1);
  const bool tb = ctx.node.GetInt("transB", 0) != 0;
  if (a.dtype() != DataType::kFloat || b.dtype() != DataType::kFloat || a.rank() != 2 || b.rank() != 2 ||
      ctx.node.GetInt("transA", 0) || ctx.node.GetFloat("alpha", 1.0f) != 1.0f || ctx.node.GetFloat("beta", 1.0f) != 1.0f)
    return RunReferenceKernel(ctx);
  const int64_t m = a.dim(0), k = a.dim(1), n = tb ? b.dim(0) : b.dim(1);
  if ((tb ? b.dim(1) : b.dim(0)) != k || (ctx.has(2) && !IsColumnBias(ctx.in(2), n))) return RunReferenceKernel(ctx);
  auto packed = ctx.Derived<F32PackedB>(ctx.constant(1), [&] {
    return tb ? PackF32B(b.data<float>(), k, n, 1, k) : PackF32B(b.data<float>(), k, n, n, 1);
  });
  Tensor& out = ctx.OutputToOverwrite(0, DataType::kFloat, {m, n});
  F32GemmParams params;
  params.col_bias = ctx.has(2) ? ctx.in(2).data<float>() : nullptr;
  f32_gemm_4x8__wasmsimd(m, a.data<float>(), k, *packed, out.data<float>(), n, params);
  return Status::Ok();
}

// B for whichever 8-bit GEMM runs here: relaxed SIMD's 8-bit dot product where the engine reads it
// exactly (i8_gemm_relaxed.h), else i32x4.dot_i16x8_s on int16 operands (i8_gemm.h).
struct QuantizedB {
  RelaxedDotMode mode = RelaxedDot();
  I8PackedB dot16;
  I8x4PackedB relaxed;
};

// Per-call scratch for A's rows in the chosen GEMM's layout.
struct QuantizedRows {
  std::vector<int16_t> widened;
  I8x4Rows relaxed;
};

// B (with its per-column zero point) packed into `packed`; (kk, j) of B is
// b[offset + kk * row_stride + j * col_stride]. Row-major B with one zero point takes the
// vector path.
template <typename T>
void PackQuantizedB(const T* values, const Tensor* zero_point, int64_t k, int64_t n, int64_t row_stride, int64_t col_stride,
                    QuantizedB& packed) {
  const bool relaxed = packed.mode != RelaxedDotMode::kNone;
  if (row_stride == n && col_stride == 1 && (!zero_point || zero_point->size() == 1)) {
    const int32_t zp = ZeroPointAt(zero_point, 0);
    if (relaxed) PackI8x4Rows(values, k, n, zp, packed.mode, packed.relaxed);
    else PackI8Rows(values, k, n, zp, packed.dot16);
    return;
  }
  std::vector<int32_t> zp(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) zp[j] = ZeroPointAt(zero_point, j);
  auto value = [&](int64_t kk, int64_t j) { return values[kk * row_stride + j * col_stride]; };
  if (relaxed) packed.relaxed = PackI8x4B<T>(k, n, packed.mode, value, [&](int64_t j) { return zp[j]; });
  else packed.dot16 = PackI8B(k, n, [&](int64_t kk, int64_t j) { return value(kk, j) - zp[j]; });
}

void PackQuantizedB(const Tensor& b, const Tensor* zero_point, int64_t offset, int64_t k, int64_t n, int64_t row_stride,
                    int64_t col_stride, QuantizedB& packed) {
  if (b.dtype() == DataType::kUint8) PackQuantizedB(b.data<uint8_t>() + offset, zero_point, k, n, row_stride, col_stride, packed);
  else PackQuantizedB(b.data<int8_t>() + offset, zero_point, k, n, row_stride, col_stride, packed);
}

// A packed B kept in the node's cache when B (and its zero point) are constants.
std::shared_ptr<const QuantizedB> CachedB(KernelContext& ctx, bool constant, const Tensor& b, const Tensor* zero_point, int64_t k,
                                          int64_t n, int64_t row_stride, int64_t col_stride) {
  return ctx.Derived<QuantizedB>(constant, [&] {
    QuantizedB packed;
    PackQuantizedB(b, zero_point, 0, k, n, row_stride, col_stride, packed);
    return packed;
  });
}

// `rows` rows of A from element `offset` on (minus zero_point) times B, stored as `out` says.
void QuantizedGemm(const Tensor& a, int64_t offset, int64_t rows, int64_t k, int32_t zero_point, const QuantizedB& b,
                   QuantizedRows& scratch, const I8GemmOutput& out) {
  const bool u8 = a.dtype() == DataType::kUint8;
  if (b.mode != RelaxedDotMode::kNone) {
    if (u8) ToI8x4Rows(a.data<uint8_t>() + offset, rows, k, &zero_point, 0, scratch.relaxed);
    else ToI8x4Rows(a.data<int8_t>() + offset, rows, k, &zero_point, 0, scratch.relaxed);
    i8_gemm_4x8__wasmrelaxed(rows, ViewFrom(scratch.relaxed, 0), b.relaxed, out);
    return;
  }
  scratch.widened.resize(static_cast<size_t>(rows * EvenK(k)));
  if (u8) WidenI8Rows(a.data<uint8_t>() + offset, rows, k, zero_point, scratch.widened.data());
  else WidenI8Rows(a.data<int8_t>() + offset, rows, k, zero_point, scratch.widened.data());
  i8_gemm_4x8__wasmsimd_dot16(rows, scratch.widened.data(), EvenK(k), b.dot16, out);
}

I8GemmOutput QuantizedOutput(Tensor& y, const float* scale, int32_t zero_point, int64_t n) {
  I8GemmOutput out;
  out.type = y.dtype();
  out.data = y.raw();
  out.ldc = n;
  out.scale = scale;
  out.zero_point = zero_point;
  return out;
}

// A (minus a_zp) x B (minus b_zp), batched as MatMul is, stored as `out` says; B's inputs
// (b_input, b_zp_input) decide whether its packing is kept.
Status IntegerMatMul(KernelContext& ctx, const MatMulPlan& plan, size_t b_input, size_t b_zp_input, int32_t a_zp, Tensor& y,
                     I8GemmOutput out) {
  const Tensor &a = ctx.in(0), &b = ctx.in(b_input);
  const Tensor* b_zp = ctx.has(b_zp_input) ? &ctx.in(b_zp_input) : nullptr;
  const int64_t out_bytes = static_cast<int64_t>(ElementSize(y.dtype()));
  out.ldc = plan.n;
  QuantizedRows rows_a;
  if (OneGemm(plan)) {
    const int64_t rows = plan.m * static_cast<int64_t>(plan.a_offsets.size());
    auto packed = CachedB(ctx, ctx.constant(b_input) && (!b_zp || ctx.constant(b_zp_input)), b, b_zp, plan.k, plan.n, plan.n, 1);
    out.data = y.raw();
    QuantizedGemm(a, 0, rows, plan.k, a_zp, *packed, rows_a, out);
    return Status::Ok();
  }
  QuantizedB packed;
  for (size_t batch = 0; batch < plan.a_offsets.size(); ++batch) {
    PackQuantizedB(b, b_zp, plan.b_offsets[batch], plan.k, plan.n, plan.n, 1, packed);
    out.data = y.raw() + static_cast<int64_t>(batch) * plan.m * plan.n * out_bytes;
    QuantizedGemm(a, plan.a_offsets[batch], plan.m, plan.k, a_zp, packed, rows_a, out);
  }
  return Status::Ok();
}

Status QLinearMatMul(KernelContext& ctx) {
  const Tensor &a = ctx.in(0), &b = ctx.in(3), &y_zp = ctx.in(7);
  const Tensor &a_scale = ctx.in(1), &b_scale = ctx.in(4), &y_scale = ctx.in(6);
  if (!Is8Bit(a) || !Is8Bit(b) || !Is8Bit(y_zp) || a_scale.size() != 1) return RunReferenceKernel(ctx);
  auto plan = PlanMatMul(a.shape(), b.shape());
  if (!plan.ok()) return plan.status();
  if (b_scale.size() != 1 && b_scale.size() != plan->n) return RunReferenceKernel(ctx);
  std::vector<float> multiplier(static_cast<size_t>(plan->n));
  for (int64_t j = 0; j < plan->n; ++j)
    multiplier[j] = a_scale.data<float>()[0] * b_scale.data<float>()[b_scale.size() == 1 ? 0 : j] / y_scale.data<float>()[0];
  Tensor& y = ctx.OutputToOverwrite(0, y_zp.dtype(), plan->output);
  const I8GemmOutput out = QuantizedOutput(y, multiplier.data(), ZeroPointAt(&y_zp, 0), plan->n);
  return IntegerMatMul(ctx, *plan, 3, 5, ZeroPointAt(&ctx.in(2), 0), y, out);
}

// MatMulInteger: the 8-bit GEMM with int32 accumulators as the output (a_zero_point per tensor only).
Status MatMulInteger(KernelContext& ctx) {
  const Tensor &a = ctx.in(0), &b = ctx.in(1);
  const Tensor* a_zp = ctx.has(2) ? &ctx.in(2) : nullptr;
  const Tensor* b_zp = ctx.has(3) ? &ctx.in(3) : nullptr;
  if (!Is8Bit(a) || !Is8Bit(b) || (a_zp && a_zp->size() != 1)) return RunReferenceKernel(ctx);
  auto plan = PlanMatMul(a.shape(), b.shape());
  if (!plan.ok()) return plan.status();
  if (b_zp && b_zp->size() != 1 && b_zp->size() != plan->n) return RunReferenceKernel(ctx);
  Tensor& y = ctx.OutputToOverwrite(0, DataType::kInt32, plan->output);
  I8GemmOutput out;
  out.type = DataType::kInt32;
  return IntegerMatMul(ctx, *plan, 1, 3, ZeroPointAt(a_zp, 0), y, out);
}

// com.microsoft MatMulIntegerToFloat: the accumulators scaled to float in the GEMM's epilogue
// (float(acc) x (a_scale x b_scale), as the reference), then the bias added.
Status MatMulIntegerToFloat(KernelContext& ctx) {
  const Tensor &a = ctx.in(0), &b = ctx.in(1), &a_scale = ctx.in(2), &b_scale = ctx.in(3);
  const Tensor* a_zp = ctx.has(4) ? &ctx.in(4) : nullptr;
  const Tensor* b_zp = ctx.has(5) ? &ctx.in(5) : nullptr;
  const Tensor* bias = ctx.has(6) ? &ctx.in(6) : nullptr;
  if (!Is8Bit(a) || !Is8Bit(b) || a_scale.size() != 1 || (a_zp && a_zp->size() != 1)) return RunReferenceKernel(ctx);
  auto plan = PlanMatMul(a.shape(), b.shape());
  if (!plan.ok()) return plan.status();
  const int64_t n = plan->n;
  for (const Tensor* t : {&b_scale, b_zp, bias})
    if (t && t->size() != 1 && t->size() != n) return RunReferenceKernel(ctx);
  std::vector<float> multiplier(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) multiplier[j] = a_scale.data<float>()[0] * b_scale.data<float>()[b_scale.size() == 1 ? 0 : j];
  Tensor& y = ctx.OutputToOverwrite(0, DataType::kFloat, plan->output);
  I8GemmOutput out;
  out.type = DataType::kFloat;
  out.scale = multiplier.data();
  QPLAY_RETURN_IF_ERROR(IntegerMatMul(ctx, *plan, 1, 5, ZeroPointAt(a_zp, 0), y, out));
  if (bias)
    for (float* row = y.data<float>(); row < y.data<float>() + y.size(); row += n)
      for (int64_t j = 0; j < n; ++j) row[j] += bias->data<float>()[bias->size() == 1 ? 0 : j];
  return Status::Ok();
}

Status QGemm(KernelContext& ctx) {
  const Tensor &a = ctx.in(0), &b = ctx.in(3);
  const Tensor &a_scale = ctx.in(1), &b_scale = ctx.in(4);
  const bool tb = ctx.node.GetInt("transB", 0) != 0;
  if (!Is8Bit(a) || !Is8Bit(b) || a.rank() != 2 || b.rank() != 2 || ctx.node.GetInt("transA", 0) || a_scale.size() != 1)
    return RunReferenceKernel(ctx);
  const int64_t m = a.dim(0), k = a.dim(1), n = tb ? b.dim(0) : b.dim(1);
  const bool bias = ctx.has(6);
  if ((tb ? b.dim(1) : b.dim(0)) != k || (b_scale.size() != 1 && b_scale.size() != n) ||
      (bias && (ctx.in(6).dtype() != DataType::kInt32 || !IsColumnBias(ctx.in(6), n))))
    return RunReferenceKernel(ctx);
  const float alpha = ctx.node.GetFloat("alpha", 1.0f);
  std::vector<float> multiplier(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) multiplier[j] = alpha * a_scale.data<float>()[0] * b_scale.data<float>()[b_scale.size() == 1 ? 0 : j];
  const bool quantized = ctx.has(7);
  if (quantized)
    for (float& s : multiplier) s /= ctx.in(7).data<float>()[0];
  const Tensor* y_zp = ctx.has(8) ? &ctx.in(8) : nullptr;
  Tensor& y = ctx.OutputToOverwrite(0, quantized ? (y_zp ? y_zp->dtype() : DataType::kUint8) : DataType::kFloat, {m, n});
  auto packed = tb ? CachedB(ctx, ctx.constant(3) && ctx.constant(5), b, &ctx.in(5), k, n, 1, k)
                   : CachedB(ctx, ctx.constant(3) && ctx.constant(5), b, &ctx.in(5), k, n, n, 1);
  I8GemmOutput out = QuantizedOutput(y, multiplier.data(), ZeroPointAt(y_zp, 0), n);
  out.col_bias = bias ? ctx.in(6).data<int32_t>() : nullptr;
  QuantizedRows rows;
  QuantizedGemm(a, 0, m, k, ZeroPointAt(&ctx.in(2), 0), *packed, rows, out);
  return Status::Ok();
}

}  // namespace

void RegisterFastMatMulKernels(KernelRegistry& r) {
  r.Add("MatMul", MatMul, "", KernelVariant::kFast);
  r.Add("Gemm", Gemm, "", KernelVariant::kFast);
  r.Add("QLinearMatMul", QLinearMatMul, "", KernelVariant::kFast);
  r.Add("MatMulInteger", MatMulInteger, "", KernelVariant::kFast);
  r.Add("MatMulIntegerToFloat", MatMulIntegerToFloat, "com.microsoft", KernelVariant::kFast);
  r.Add("QGemm", QGemm, "com.microsoft", KernelVariant::kFast);
}

}  // namespace qplay
