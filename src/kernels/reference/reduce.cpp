// Reductions (ReduceMean, ReduceSum, ...), ArgMax/ArgMin and TopK.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <type_traits>

#include "kernels/conv_geometry.h"
#include "kernels/reduce_axes.h"
#include "kernels/registry.h"

namespace qplay {
namespace {

enum class Reduce { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kLogSum, kLogSumExp, kSumSquare };

// Output element offsets: for each input element, the output element it reduces into.
struct ReducePlan {
  Shape output;
  std::vector<int64_t> target;
  int64_t group = 1;  // input elements per output element
};

Result<ReducePlan> PlanReduce(const KernelContext& ctx, const Tensor& x) {
  auto axes = ReadReducedAxes(ctx, x);
  if (!axes.ok()) return axes.status();
  const std::vector<bool>& reduced = axes->reduced;
  ReducePlan plan;
  plan.output = axes->output;
  for (int64_t d = 0; d < x.rank(); ++d)
    if (reduced[d]) plan.group *= x.dim(d);
  plan.target.resize(static_cast<size_t>(x.size()));
  ForEachPosition(x.shape(), [&](int64_t i, const std::vector<int64_t>& index) {
    int64_t t = 0;
    for (int64_t d = 0; d < x.rank(); ++d)
      if (!reduced[d]) t = t * x.dim(d) + index[d];
    plan.target[i] = t;
  });
  return plan;
}

template <Reduce kOp>
Status ReduceKernel(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  auto plan = PlanReduce(ctx, x);
  if (!plan.ok()) return plan.status();
  const int64_t n = NumElements(plan->output);
  double init = 0;
  if (kOp == Reduce::kMax) init = -std::numeric_limits<double>::infinity();
  if (kOp == Reduce::kMin) init = std::numeric_limits<double>::infinity();
  if (kOp == Reduce::kProd) init = 1;
  std::vector<double> acc(static_cast<size_t>(n), init);
  std::vector<double> max_for_lse(kOp == Reduce::kLogSumExp ? n : 0, -std::numeric_limits<double>::infinity());
  if (kOp == Reduce::kLogSumExp)
    for (int64_t i = 0; i < x.size(); ++i) max_for_lse[plan->target[i]] = std::max(max_for_lse[plan->target[i]], x.GetAsDouble(i));
  for (int64_t i = 0; i < x.size(); ++i) {
    const double v = x.GetAsDouble(i);
    double& a = acc[plan->target[i]];
    switch (kOp) {
      case Reduce::kMax: a = std::max(a, v); break;
      case Reduce::kMin: a = std::min(a, v); break;
      case Reduce::kProd: a *= v; break;
      case Reduce::kL1: a += std::abs(v); break;
      case Reduce::kL2: case Reduce::kSumSquare: a += v * v; break;
      case Reduce::kLogSumExp: a += std::exp(v - max_for_lse[plan->target[i]]); break;
      default: a += v; break;
    }
  }
  Tensor& out = ctx.Output(0, x.dtype(), plan->output);
  bool visited = VisitNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < n; ++i) {
      double v = acc[i];
      if (kOp == Reduce::kMean) v /= static_cast<double>(plan->group);
      if (kOp == Reduce::kL2) v = std::sqrt(v);
      if (kOp == Reduce::kLogSum) v = std::log(v);
      if (kOp == Reduce::kLogSumExp) v = std::log(v) + max_for_lse[i];
      out.data<T>()[i] = ConvertFromDouble<T>(v);  // an integer sum past T saturates
    }
  });
  return visited ? Status::Ok() : ctx.Unsupported("element type ", DataTypeName(x.dtype()));
}

template <bool kMax>
Status ArgKernel(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  int64_t axis = ctx.node.GetInt("axis", 0);
  if (!NormalizeAxis(axis, x.rank())) return ctx.Invalid("axis out of range for rank ", x.rank());
  const bool keepdims = ctx.node.GetInt("keepdims", 1) != 0, last = ctx.node.GetInt("select_last_index", 0) != 0;
  Shape out_shape;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < x.rank(); ++d) {
    if (d < axis) outer *= x.dim(d);
    if (d > axis) inner *= x.dim(d);
    if (d != axis || keepdims) out_shape.push_back(d == axis ? 1 : x.dim(d));
  }
  const int64_t n = x.dim(axis);
  Tensor& out = ctx.Output(0, DataType::kInt64, out_shape);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      int64_t best = 0;
      for (int64_t j = 1; j < n; ++j) {
        const double v = x.GetAsDouble((o * n + j) * inner + in), b = x.GetAsDouble((o * n + best) * inner + in);
        if (kMax ? (v > b || (last && v == b)) : (v < b || (last && v == b))) best = j;
      }
      out.data<int64_t>()[o * inner + in] = best;
    }
  return Status::Ok();
}

// a before b in TopK's order: larger first (smaller with largest=0), NaN above every number
// as PyTorch ranks it, and equal values by index.
template <typename T>
bool RanksBefore(T a, T b, int64_t ia, int64_t ib, bool largest) {
  auto above = [](T p, T q) {
    if constexpr (std::is_floating_point_v<T>)
      if (std::isnan(p) || std::isnan(q)) return std::isnan(p) && !std::isnan(q);
    return p > q;
  };
  if (above(a, b)) return largest;
  if (above(b, a)) return !largest;
  return ia < ib;
}

// The k largest (or smallest) values along the axis, in order, and their indices.
Status TopK(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  int64_t axis = ctx.node.GetInt("axis", -1);
  if (!NormalizeAxis(axis, x.rank())) return ctx.Invalid("axis out of range for rank ", x.rank());
  int64_t k = ctx.node.GetInt("k", -1);
  if (ctx.has(1)) {
    if (ctx.in(1).size() != 1) return ctx.Invalid("K must hold one value, got shape ", ShapeToString(ctx.in(1).shape()));
    k = ctx.in(1).GetAsInt64(0);
  }
  const int64_t n = x.dim(axis);
  if (k < 0 || k > n) return ctx.Invalid("k ", k, " must be in [0, ", n, "], the length of axis ", axis);
  const bool largest = ctx.node.GetInt("largest", 1) != 0;
  Shape out_shape = x.shape();
  out_shape[axis] = k;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.dim(d);
  for (int64_t d = axis + 1; d < x.rank(); ++d) inner *= x.dim(d);
  Tensor& values = ctx.Output(0, x.dtype(), out_shape);
  Tensor& indices = ctx.Output(1, DataType::kInt64, out_shape);
  std::vector<int64_t> order(static_cast<size_t>(n));
  const bool visited = VisitNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t in = 0; in < inner; ++in) {
        auto at = [&](int64_t j) { return x.data<T>()[(o * n + j) * inner + in]; };
        std::iota(order.begin(), order.end(), 0);
        std::partial_sort(order.begin(), order.begin() + k, order.end(),
                          [&](int64_t a, int64_t b) { return RanksBefore(at(a), at(b), a, b, largest); });
        for (int64_t j = 0; j < k; ++j) {
          values.data<T>()[(o * k + j) * inner + in] = at(order[j]);
          indices.data<int64_t>()[(o * k + j) * inner + in] = order[j];
        }
      }
  });
  return visited ? Status::Ok() : ctx.Unsupported("element type ", DataTypeName(x.dtype()));
}

}  // namespace

void RegisterReduceKernels(KernelRegistry& r) {
  r.Add("ReduceSum", ReduceKernel<Reduce::kSum>);
  r.Add("ReduceMean", ReduceKernel<Reduce::kMean>);
  r.Add("ReduceMax", ReduceKernel<Reduce::kMax>);
  r.Add("ReduceMin", ReduceKernel<Reduce::kMin>);
  r.Add("ReduceProd", ReduceKernel<Reduce::kProd>);
  r.Add("ReduceL1", ReduceKernel<Reduce::kL1>);
  r.Add("ReduceL2", ReduceKernel<Reduce::kL2>);
  r.Add("ReduceLogSum", ReduceKernel<Reduce::kLogSum>);
  r.Add("ReduceLogSumExp", ReduceKernel<Reduce::kLogSumExp>);
  r.Add("ReduceSumSquare", ReduceKernel<Reduce::kSumSquare>);
  r.Add("ArgMax", ArgKernel<true>);
  r.Add("ArgMin", ArgKernel<false>);
  r.Add("TopK", TopK);
}

}  // namespace qplay
