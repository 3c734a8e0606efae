// Fast float Relu, LeakyRelu, Clip, HardSigmoid and HardSwish: the vector code FusedConv applies
// (kernels/fused_activation.h), equal bit for bit to the reference kernels. Other element
// types, and Clip bounds of another type, go to the reference kernels.
#include <limits>

#include "core/thread_pool.h"
#include "kernels/fused_activation.h"
#include "kernels/registry.h"

namespace qplay {
namespace {

Status Run(KernelContext& ctx, const FusedActivation& activation) {
  const Tensor& x = ctx.in(0);
  Tensor& y = ctx.OutputToOverwrite(0, DataType::kFloat, x.shape());
  ParallelFor(x.size(), GrainForWork(1), [&](int64_t begin, int64_t end) {
    activation.Apply(x.data<float>() + begin, nullptr, y.data<float>() + begin, end - begin);
  });
  return Status::Ok();
}

bool IsFloat(const KernelContext& ctx) { return ctx.in(0).dtype() == DataType::kFloat; }

using Kind = FusedActivation::Kind;

Status Relu(KernelContext& ctx) { return IsFloat(ctx) ? Run(ctx, FusedActivation(Kind::kRelu)) : RunReferenceKernel(ctx); }

Status LeakyRelu(KernelContext& ctx) {
  if (!IsFloat(ctx)) return RunReferenceKernel(ctx);
  return Run(ctx, FusedActivation(Kind::kLeakyRelu, ctx.node.GetFloat("alpha", 0.01f)));
}

Status HardSigmoid(KernelContext& ctx) {
  if (!IsFloat(ctx)) return RunReferenceKernel(ctx);
  return Run(ctx, FusedActivation(Kind::kHardSigmoid, ctx.node.GetFloat("alpha", 0.2f), ctx.node.GetFloat("beta", 0.5f)));
}

Status HardSwish(KernelContext& ctx) { return IsFloat(ctx) ? Run(ctx, FusedActivation(Kind::kHardSwish)) : RunReferenceKernel(ctx); }

// Bounds as the reference reads them: attributes before opset 11, optional inputs from 11.
Status Clip(KernelContext& ctx) {
  if (!IsFloat(ctx)) return RunReferenceKernel(ctx);
  constexpr float kMax = std::numeric_limits<float>::max();
  float bounds[2] = {-kMax, kMax};
  if (ctx.opset < 11) {
    bounds[0] = ctx.node.GetFloat("min", -kMax);
    bounds[1] = ctx.node.GetFloat("max", kMax);
  }
  for (size_t i : {1, 2})
    if (ctx.opset >= 11 && ctx.has(i)) {
      if (ctx.in(i).dtype() != DataType::kFloat || ctx.in(i).size() != 1) return RunReferenceKernel(ctx);  // which names the error
      bounds[i - 1] = ctx.in(i).data<float>()[0];
    }
  return Run(ctx, FusedActivation(Kind::kClip, bounds[0], bounds[1]));
}

}  // namespace

void RegisterFastActivationKernels(KernelRegistry& r) {
  r.Add("Relu", Relu, "", KernelVariant::kFast);
  r.Add("LeakyRelu", LeakyRelu, "", KernelVariant::kFast);
  r.Add("Clip", Clip, "", KernelVariant::kFast);
  r.Add("HardSigmoid", HardSigmoid, "", KernelVariant::kFast);
  r.Add("HardSwish", HardSwish, "", KernelVariant::kFast);
}

}  // namespace qplay
