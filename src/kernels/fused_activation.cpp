#include "kernels/fused_activation.h"

#include <vector>

#include "kernels/activation_functions.h"
#include "kernels/simd/simd.h"
#include "ops/conv.h"

namespace qplay {
namespace {

// y = scalar(x) element-wise, four lanes at a time by vector(x) where it has a vector form.
template <typename Vector, typename Scalar>
void Map(const float* x, float* y, int64_t count, Vector vector, Scalar scalar) {
  int64_t i = 0;
  for (; i + 4 <= count; i += 4) wasm_v128_store(y + i, vector(wasm_v128_load(x + i)));
  for (; i < count; ++i) y[i] = scalar(x[i]);
}

template <typename Scalar>
void MapScalar(const float* x, float* y, int64_t count, Scalar scalar) {
  for (int64_t i = 0; i < count; ++i) y[i] = scalar(x[i]);
}

// ClipOf's order: max(v, lo) then min(., hi), each keeping v on a false comparison (pmax/pmin).
v128_t Clip(v128_t v, v128_t lo, v128_t hi) { return wasm_f32x4_pmin(wasm_f32x4_pmax(v, lo), hi); }

}  // namespace

Result<FusedActivation> FusedActivation::Of(const Node& node) {
  const std::string name = node.GetString("activation", "");
  if (name.empty()) return FusedActivation();
  const std::vector<float> params = node.GetFloats("activation_params");
  constexpr size_t kParams[] = {0, 1, 2, 2, 0, 0, 0};  // per ops::kFusedConvActivations
  for (size_t k = 0; k < std::size(kParams); ++k) {
    if (ops::kFusedConvActivations[k].type != name) continue;
    if (params.size() < kParams[k])
      return Fail(StatusCode::kInvalidModel, "activation ", name, " needs ", kParams[k], " activation_params, got ", params.size());
    return FusedActivation(static_cast<Kind>(k + 1), params.size() > 0 ? params[0] : 0, params.size() > 1 ? params[1] : 0);
  }
  return Fail(StatusCode::kUnsupported, "activation '", name, "'");
}

void FusedActivation::Apply(const float* x, const float* z, float* y, int64_t count) const {
  if (z) {
    int64_t i = 0;
    for (; i + 4 <= count; i += 4) wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(x + i), wasm_v128_load(z + i)));
    for (; i < count; ++i) y[i] = x[i] + z[i];
    x = y;
  }
  const v128_t zero = wasm_f32x4_splat(0), one = wasm_f32x4_splat(1), a = wasm_f32x4_splat(a_), b = wasm_f32x4_splat(b_);
  const v128_t sixth = wasm_f32x4_splat(1.0f / 6), half = wasm_f32x4_splat(0.5f);
  const float lo = a_, hi = b_, alpha = a_, beta = b_;
  switch (kind_) {
    case Kind::kIdentity:
      if (y != x) std::copy_n(x, count, y);
      return;
    case Kind::kRelu:
      return Map(x, y, count, [&](v128_t v) { return wasm_v128_and(v, wasm_f32x4_gt(v, zero)); }, [](float v) { return ReluOf(v); });
    case Kind::kLeakyRelu:
      return Map(x, y, count, [&](v128_t v) { return wasm_v128_bitselect(v, wasm_f32x4_mul(v, a), wasm_f32x4_ge(v, zero)); },
                 [alpha](float v) { return LeakyReluOf(v, alpha); });
    case Kind::kClip:
      return Map(x, y, count, [&](v128_t v) { return Clip(v, a, b); }, [lo, hi](float v) { return ClipOf(v, lo, hi); });
    case Kind::kHardSigmoid:
      return Map(x, y, count, [&](v128_t v) { return Clip(wasm_f32x4_add(wasm_f32x4_mul(a, v), b), zero, one); },
                 [alpha, beta](float v) { return HardSigmoidOf(v, alpha, beta); });
    case Kind::kHardSwish:
      return Map(x, y, count,
                 [&](v128_t v) { return wasm_f32x4_mul(v, Clip(wasm_f32x4_add(wasm_f32x4_mul(sixth, v), half), zero, one)); },
                 [](float v) { return HardSwishOf(v); });
    case Kind::kSigmoid: return MapScalar(x, y, count, [](float v) { return SigmoidOf(v); });
    case Kind::kTanh: return MapScalar(x, y, count, [](float v) { return TanhOf(v); });
  }
}

Result<const float*> FusedConvSum(const KernelContext& ctx, const Shape& y_shape) {
  if (!ctx.has(3)) return static_cast<const float*>(nullptr);
  const Tensor& z = ctx.in(3);
  if (z.dtype() != DataType::kFloat || z.shape() != y_shape)
    return ctx.Invalid("Z must be float32 shaped as the output ", ShapeToString(y_shape), ", got ", DataTypeName(z.dtype()), " ",
                       ShapeToString(z.shape()));
  return z.data<float>();
}

}  // namespace qplay
