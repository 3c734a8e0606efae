#include "kernels/matmul_plan.h"

#include "kernels/broadcast.h"

namespace qplay {

Result<MatMulPlan> PlanMatMul(const Shape& a_in, const Shape& b_in) {
  if (a_in.empty() || b_in.empty()) return Fail(StatusCode::kInvalidArgument, "MatMul operands must have rank >= 1");
  Shape a = a_in, b = b_in;
  if (a.size() == 1) a.insert(a.begin(), 1);
  if (b.size() == 1) b.push_back(1);
  MatMulPlan plan;
  plan.m = a[a.size() - 2];
  plan.k = a[a.size() - 1];
  plan.n = b[b.size() - 1];
  if (b[b.size() - 2] != plan.k)
    return Fail(StatusCode::kInvalidArgument, "MatMul shapes ", ShapeToString(a_in), " and ", ShapeToString(b_in),
                " disagree on the inner dimension (", plan.k, " vs ", b[b.size() - 2], ")");
  Shape a_batch(a.begin(), a.end() - 2), b_batch(b.begin(), b.end() - 2);
  auto batch = BroadcastShapes({a_batch, b_batch});
  if (!batch.ok()) return batch.status().WithContext("MatMul batch dimensions");
  // ForEachBroadcast yields element offsets in the batch grid; scale them to matrix offsets.
  ForEachBroadcast(*batch, {a_batch, b_batch}, [&](int64_t, const int64_t* o) {
    plan.a_offsets.push_back(o[0] * plan.m * plan.k);
    plan.b_offsets.push_back(o[1] * plan.k * plan.n);
  });
  plan.output = *batch;
  if (a_in.size() > 1) plan.output.push_back(plan.m);
  if (b_in.size() > 1) plan.output.push_back(plan.n);
  return plan;
}

}  // namespace qplay
