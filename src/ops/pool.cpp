// Pooling: MaxPool, AveragePool, LpPool over windows, and the global pools.
#include "ops/qlinear_contrib.h"
#include "ops/schema.h"
#include "ops/window.h"

namespace qplay {
namespace {

std::vector<ValueInfo> PoolInfer(InferContext& ctx) { return WindowedInfer(ctx, ctx.in(0).dtype, nullptr); }

std::vector<ValueInfo> GlobalPoolInfer(InferContext& ctx) {
  const auto& xs = ctx.in(0).shape;
  if (!xs) return ctx.Unknown(ctx.in(0).dtype);
  Dims out = *xs;
  for (size_t d = 2; d < out.size(); ++d) out[d] = Dim::Known(1);
  return {ValueInfo::Typed(ctx.in(0).dtype, out)};
}

OpSchema Pool(const std::string& op) {
  OpSchema s(op, 1);
  WindowAttrs(s).Input("X", "T").Output("Y", "T").Types("T", kFloatTypes).Infer(PoolInfer);
  return s;
}

}  // namespace

void RegisterPoolSchemas(SchemaRegistry& r) {
  r.Add(Pool("MaxPool").Types("T", kNumericTypes).Output("Indices", "I", kOptional)
            .Attr("ceil_mode", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1}))
            .Attr("storage_order", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1})).Quant(SharesInputParams())
            .CommutesWithChannelScale().Gradient(Inputs({0})));
  r.Add(Pool("AveragePool").QLinearForm(ops::kQLinearAveragePool).Attr("ceil_mode", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1}))
            .Attr("count_include_pad", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1})).Gradient(Inputs({0})));
  r.Add(Pool("LpPool").Attr("p", AttrType::kInt, Attribute::Int(2), AtLeast(1))
            .Attr("ceil_mode", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1})));
  r.Add(OpSchema("GlobalAveragePool", 1).Input("X", "T").Output("Y", "T").Types("T", kFloatTypes).Infer(GlobalPoolInfer)
            .QLinearForm(ops::kQLinearGlobalAveragePool).Gradient(Inputs({0})));
  r.Add(OpSchema("GlobalMaxPool", 1).Input("X", "T").Output("Y", "T").Types("T", kFloatTypes).Infer(GlobalPoolInfer));
}

}  // namespace qplay
