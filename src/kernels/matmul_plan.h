// Shape logic shared by MatMul, MatMulInteger and QLinearMatMul: numpy matmul semantics
// (1-D operands promoted and squeezed, batch dimensions broadcast).
#pragma once
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace qplay {

struct MatMulPlan {
  int64_t m = 0, k = 0, n = 0;
  Shape output;
  std::vector<int64_t> a_offsets, b_offsets;  // element offset of each batch's matrix in A and B
};

Result<MatMulPlan> PlanMatMul(const Shape& a, const Shape& b);

// C[batch] = A[batch] x B[batch] over Acc, reading elements through load_a/load_b (which
// may subtract zero points). `out` is written with store(index, acc).
template <typename Acc, typename LoadA, typename LoadB, typename Store>
void RunMatMul(const MatMulPlan& plan, LoadA load_a, LoadB load_b, Store store) {
  for (size_t batch = 0; batch < plan.a_offsets.size(); ++batch) {
    const int64_t a0 = plan.a_offsets[batch], b0 = plan.b_offsets[batch];
    const int64_t c0 = static_cast<int64_t>(batch) * plan.m * plan.n;
    for (int64_t i = 0; i < plan.m; ++i)
      for (int64_t j = 0; j < plan.n; ++j) {
        Acc acc = 0;
        for (int64_t p = 0; p < plan.k; ++p)
          acc += static_cast<Acc>(load_a(a0 + i * plan.k + p, i)) * static_cast<Acc>(load_b(b0 + p * plan.n + j, j));
        store(c0 + i * plan.n + j, acc, i, j);
      }
  }
}

}  // namespace qplay
