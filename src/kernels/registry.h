// Every op the runtime can execute, by domain and op type. Each kernel file registers its
// family in a Register*Kernels function; registry.cpp lists them all in one place.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "kernels/kernel.h"

namespace qplay {

// Every op has a reference kernel (kernels/reference/, the definition of correct); some also
// have a fast one (kernels/fast/, SIMD), which must agree with it (bit for bit for integer
// results, within a stated tolerance for float).
enum class KernelVariant { kReference, kFast };

class KernelRegistry {
 public:
  static const KernelRegistry& Get();

  void Add(const std::string& op_type, KernelFn fn, const std::string& domain = "",
           KernelVariant variant = KernelVariant::kReference);
  // The fast kernel when `variant` asks for it and one exists, else the reference kernel.
  KernelFn Find(const std::string& domain, const std::string& op_type,
                KernelVariant variant = KernelVariant::kReference) const;
  std::vector<std::string> OpTypes() const;     // ops with a reference kernel
  std::vector<std::string> FastOpTypes() const;  // ops that also have a fast kernel

 private:
  std::map<std::pair<std::string, std::string>, KernelFn> kernels_, fast_kernels_;
};

// Runs the reference kernel of ctx's node: what a fast kernel does with inputs it does not cover.
inline Status RunReferenceKernel(KernelContext& ctx) {
  return KernelRegistry::Get().Find(ctx.node.domain, ctx.node.op_type)(ctx);
}

void RegisterElementwiseKernels(KernelRegistry& registry);
void RegisterActivationKernels(KernelRegistry& registry);
void RegisterMatMulKernels(KernelRegistry& registry);
void RegisterConvKernels(KernelRegistry& registry);
void RegisterPoolKernels(KernelRegistry& registry);
void RegisterNormalizationKernels(KernelRegistry& registry);
void RegisterShapeKernels(KernelRegistry& registry);
void RegisterTensorKernels(KernelRegistry& registry);
void RegisterReduceKernels(KernelRegistry& registry);
void RegisterQuantizeKernels(KernelRegistry& registry);
void RegisterRecurrentKernels(KernelRegistry& registry);
void RegisterControlFlowKernels(KernelRegistry& registry);
void RegisterResizeKernels(KernelRegistry& registry);
void RegisterGridSampleKernels(KernelRegistry& registry);
void RegisterQLinearContribKernels(KernelRegistry& registry);
void RegisterDetectionKernels(KernelRegistry& registry);
void RegisterEinsumKernels(KernelRegistry& registry);
void RegisterBlockQuantizedKernels(KernelRegistry& registry);
void RegisterAttentionKernels(KernelRegistry& registry);
void RegisterEmbeddingKernels(KernelRegistry& registry);
void RegisterRotaryEmbeddingKernels(KernelRegistry& registry);
void RegisterFastConvKernels(KernelRegistry& registry);
void RegisterFastMatMulKernels(KernelRegistry& registry);
void RegisterFastPoolKernels(KernelRegistry& registry);
void RegisterFastQuantizeKernels(KernelRegistry& registry);
void RegisterFastQLinearBinaryKernels(KernelRegistry& registry);
void RegisterFastFloatKernels(KernelRegistry& registry);
void RegisterFastNormalizationKernels(KernelRegistry& registry);
void RegisterFastCopyKernels(KernelRegistry& registry);
void RegisterFastFloatBinaryKernels(KernelRegistry& registry);
void RegisterFastQLinearTableKernels(KernelRegistry& registry);
void RegisterFastResizeKernels(KernelRegistry& registry);
void RegisterFastConvTransposeKernels(KernelRegistry& registry);
void RegisterFastActivationKernels(KernelRegistry& registry);
void RegisterFastReduceKernels(KernelRegistry& registry);

}  // namespace qplay
