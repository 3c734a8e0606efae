// Einsum: sums of products over the indices its equation names (ops/einsum.h plans them).
#include "kernels/registry.h"
#include "ops/einsum.h"

namespace qplay {
namespace {

// Visits every value of every index, the output's indices outermost; for each output element
// sums, in double, the products of the inputs over the summed indices.
Status Einsum(KernelContext& ctx) {
  std::vector<Shape> shapes;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (ctx.in(i).dtype() != ctx.in(0).dtype()) return ctx.Invalid("inputs 0 and ", i, " have different element types");
    shapes.push_back(ctx.in(i).shape());
  }
  auto plan = PlanEinsum(ctx.node.GetString("equation", ""), shapes);
  if (!plan.ok()) return plan.status();
  const std::vector<int64_t>& extents = plan->extents;
  const Shape out_shape(extents.begin(), extents.begin() + static_cast<std::ptrdiff_t>(plan->output_rank));
  QPLAY_RETURN_IF_ERROR(ctx.CheckOutputSize(ctx.in(0).dtype(), out_shape));
  const std::optional<int64_t> steps = CheckedNumElements(extents);
  if (!steps || *steps > (int64_t{1} << 36)) return ctx.Invalid("the equation would take more than 2^36 multiply-adds");
  // Per input, the step in its data for one step of each index (0 where it does not read it).
  std::vector<std::vector<int64_t>> strides(ctx.num_inputs(), std::vector<int64_t>(extents.size(), 0));
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    int64_t stride = 1;
    for (size_t axis = shapes[i].size(); axis-- > 0;) {
      if (shapes[i][axis] != 1) strides[i][plan->reads[i][axis]] += stride;  // a length-1 "..." axis broadcasts
      stride *= shapes[i][axis];
    }
  }
  Tensor& out = ctx.Output(0, ctx.in(0).dtype(), out_shape);
  const int64_t summed = out.size() ? *steps / out.size() : 0;
  std::vector<int64_t> index(extents.size(), 0), offset(ctx.num_inputs(), 0);
  const bool visited = VisitNumeric(ctx.in(0).dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t o = 0; o < out.size(); ++o) {
      double sum = 0;
      for (int64_t s = 0; s < summed; ++s) {
        double product = 1;
        for (size_t i = 0; i < ctx.num_inputs(); ++i) product *= static_cast<double>(ctx.in(i).data<T>()[offset[i]]);
        sum += product;
        // The next index combination: the last index fastest, carrying into earlier ones.
        for (size_t d = extents.size(); d-- > 0;) {
          for (size_t i = 0; i < ctx.num_inputs(); ++i) offset[i] += strides[i][d];
          if (++index[d] < extents[d]) break;
          for (size_t i = 0; i < ctx.num_inputs(); ++i) offset[i] -= strides[i][d] * extents[d];
          index[d] = 0;
        }
      }
      out.data<T>()[o] = ConvertFromDouble<T>(sum);
    }
  });
  return visited ? Status::Ok() : ctx.Unsupported("element type ", DataTypeName(ctx.in(0).dtype()));
}

}  // namespace

void RegisterEinsumKernels(KernelRegistry& r) { r.Add("Einsum", Einsum); }

}  // namespace qplay
