#include "kernels/registry.h"

#include <stdexcept>

namespace qplay {

Status Invoke(KernelFn kernel, KernelContext& ctx) {
  try {
    return kernel(ctx);
  } catch (const AllocationRefused& e) {
    return Fail(StatusCode::kInvalidArgument, e.what());
  } catch (const std::bad_alloc&) {
    return Fail(StatusCode::kInvalidArgument, "out of memory");
  } catch (const std::length_error& e) {
    return Fail(StatusCode::kInvalidArgument, "a size past what the standard library allows (", e.what(), ")");
  }
}

const KernelRegistry& KernelRegistry::Get() {
  static const KernelRegistry registry = [] {
    KernelRegistry r;
    RegisterElementwiseKernels(r);
    RegisterActivationKernels(r);
    RegisterMatMulKernels(r);
    RegisterConvKernels(r);
    RegisterPoolKernels(r);
    RegisterNormalizationKernels(r);
    RegisterShapeKernels(r);
    RegisterTensorKernels(r);
    RegisterReduceKernels(r);
    RegisterQuantizeKernels(r);
    RegisterRecurrentKernels(r);
    RegisterControlFlowKernels(r);
    RegisterResizeKernels(r);
    RegisterGridSampleKernels(r);
    RegisterQLinearContribKernels(r);
    RegisterDetectionKernels(r);
    RegisterEinsumKernels(r);
    RegisterBlockQuantizedKernels(r);
    RegisterAttentionKernels(r);
    RegisterEmbeddingKernels(r);
    RegisterRotaryEmbeddingKernels(r);
    RegisterFastConvKernels(r);
    RegisterFastMatMulKernels(r);
    RegisterFastPoolKernels(r);
    RegisterFastQuantizeKernels(r);
    RegisterFastQLinearBinaryKernels(r);
    RegisterFastFloatKernels(r);
    RegisterFastNormalizationKernels(r);
    RegisterFastCopyKernels(r);
    RegisterFastFloatBinaryKernels(r);
    RegisterFastQLinearTableKernels(r);
    RegisterFastResizeKernels(r);
    RegisterFastConvTransposeKernels(r);
    RegisterFastActivationKernels(r);
    RegisterFastReduceKernels(r);
    return r;
  }();
  return registry;
}

void KernelRegistry::Add(const std::string& op_type, KernelFn fn, const std::string& domain, KernelVariant variant) {
  (variant == KernelVariant::kFast ? fast_kernels_ : kernels_)[{domain, op_type}] = fn;
}

KernelFn KernelRegistry::Find(const std::string& domain, const std::string& op_type, KernelVariant variant) const {
  if (variant == KernelVariant::kFast) {
    auto fast = fast_kernels_.find({domain, op_type});
    if (fast != fast_kernels_.end()) return fast->second;
  }
  auto it = kernels_.find({domain, op_type});
  return it == kernels_.end() ? nullptr : it->second;
}

namespace {

std::vector<std::string> Names(const std::map<std::pair<std::string, std::string>, KernelFn>& kernels) {
  std::vector<std::string> ops;
  for (const auto& [key, _] : kernels) ops.push_back(key.first.empty() ? key.second : key.first + "." + key.second);
  return ops;
}

}  // namespace

std::vector<std::string> KernelRegistry::OpTypes() const { return Names(kernels_); }
std::vector<std::string> KernelRegistry::FastOpTypes() const { return Names(fast_kernels_); }

}  // namespace qplay
