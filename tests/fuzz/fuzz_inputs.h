// Inputs for a fuzzed model, from its declared inputs: unknown dims become 1, and a tensor is
// kept small (a declared [1000000, 1000000] input is refused, not allocated), so each run is
// quick. Values come from the fuzzer's bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <type_traits>

#include "ir/model.h"
#include "kernels/kernel.h"

namespace qplay::fuzz {

inline constexpr int64_t kMaxInputElements = 1 << 14;

// Harnesses call this from LLVMFuzzerInitialize: a model may still ask for big tensors and long
// loops, but 64 MiB and 4096 iterations at most, so that one input stays quick under ASan.
inline void LimitWork() {
  SetMaxTensorBytes(uint64_t{64} << 20);
  SetMaxLoopIterations(4096);
}

inline std::optional<std::map<std::string, Tensor>> InputsFor(const Graph& graph, const uint8_t* data, size_t size) {
  std::map<std::string, Tensor> inputs;
  size_t next = 0;
  for (const std::string& name : graph.inputs) {
    const ValueType* type = graph.TypeOf(name);
    if (!type || !type->is_tensor || !type->shape || !IsSupportedDataType(type->dtype) || type->dtype == DataType::kString)
      return std::nullopt;
    Shape shape;
    int64_t elements = 1;
    for (const Dim& d : *type->shape) {
      const int64_t n = d.known() ? *d.value : 1;
      if (n < 0 || n > kMaxInputElements) return std::nullopt;
      shape.push_back(n);
      elements *= n;
      if (elements > kMaxInputElements) return std::nullopt;
    }
    Tensor t(type->dtype, shape);
    for (int64_t i = 0; i < t.size(); ++i) {
      const int8_t byte = size ? static_cast<int8_t>(data[next++ % size]) : 0;
      VisitAny(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        if constexpr (std::is_floating_point_v<T>) t.data<T>()[i] = static_cast<T>(byte) / 16;
        else t.data<T>()[i] = static_cast<T>(byte);
      });
    }
    inputs.emplace(name, std::move(t));
  }
  return inputs;
}

}  // namespace qplay::fuzz
