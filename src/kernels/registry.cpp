#include "kernels/registry.h"

namespace qplay {

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
    RegisterQLinearContribKernels(r);
    return r;
  }();
  return registry;
}

void KernelRegistry::Add(const std::string& op_type, KernelFn fn, const std::string& domain) {
  kernels_[{domain, op_type}] = fn;
}

KernelFn KernelRegistry::Find(const std::string& domain, const std::string& op_type) const {
  auto it = kernels_.find({domain, op_type});
  return it == kernels_.end() ? nullptr : it->second;
}

std::vector<std::string> KernelRegistry::OpTypes() const {
  std::vector<std::string> ops;
  for (const auto& [key, _] : kernels_) ops.push_back(key.first.empty() ? key.second : key.first + "." + key.second);
  return ops;
}

}  // namespace qplay
