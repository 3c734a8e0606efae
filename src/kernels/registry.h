// Every op the runtime can execute, by domain and op type. Each kernel file registers its
// family in a Register*Kernels function; registry.cpp lists them all in one place.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "kernels/kernel.h"

namespace qplay {

class KernelRegistry {
 public:
  static const KernelRegistry& Get();

  void Add(const std::string& op_type, KernelFn fn, const std::string& domain = "");
  KernelFn Find(const std::string& domain, const std::string& op_type) const;
  std::vector<std::string> OpTypes() const;

 private:
  std::map<std::pair<std::string, std::string>, KernelFn> kernels_;
};

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
void RegisterQLinearContribKernels(KernelRegistry& registry);

}  // namespace qplay
