// Recurrent layers: LSTM, GRU, RNN and com.microsoft DynamicQuantizeLSTM.
#include "ops/schema.h"

namespace qplay {
namespace {

std::vector<ValueInfo> RecurrentInfer(InferContext& ctx) {
  const ValueInfo& x = ctx.in(0);
  const Dim dirs = Dim::Known(ctx.node.GetString("direction", "forward") == "bidirectional" ? 2 : 1);
  const ValueInfo& r = ctx.in(2);
  Dim hidden = ctx.node.Has("hidden_size") ? Dim::Known(ctx.node.GetInt("hidden_size", 0))
               : r.rank() == 3 ? (*r.shape)[2] : Dim{};
  if (x.rank() != 3) return ctx.Unknown(x.dtype);
  const Dims& xs = *x.shape;
  ValueInfo state = ValueInfo::Typed(x.dtype, Dims{dirs, xs[1], hidden});
  return {ValueInfo::Typed(x.dtype, Dims{xs[0], dirs, xs[1], hidden}), state, state};
}

OpSchema Recurrent(const std::string& op, int64_t since, bool lstm, const std::string& domain = "") {
  OpSchema s(op, since, domain);
  s.Input("X", "T").Input("W", lstm && !domain.empty() ? "T2" : "T").Input("R", lstm && !domain.empty() ? "T2" : "T")
      .Input("B", "T", kOptional).Input("sequence_lens", "I", kOptional).Input("initial_h", "T", kOptional)
      .Output("Y", "T", kOptional).Output("Y_h", "T", kOptional)
      .OptionalAttr("activation_alpha", AttrType::kFloats).OptionalAttr("activation_beta", AttrType::kFloats)
      .OptionalAttr("activations", AttrType::kStrings).OptionalAttr("clip", AttrType::kFloat, Positive())
      .Attr("direction", AttrType::kString, Attribute::String("forward"), OneOfStrings({"forward", "reverse", "bidirectional"}))
      .OptionalAttr("hidden_size", AttrType::kInt, AtLeast(1)).Attr("layout", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1}))
      .Types("I", {DataType::kInt32}).Infer(RecurrentInfer);
  if (lstm) {
    s.Input("initial_c", "T", kOptional).Input("P", "T", kOptional).Output("Y_c", "T", kOptional)
        .Attr("input_forget", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1}));
  }
  return s;
}

}  // namespace

void RegisterRecurrentSchemas(SchemaRegistry& r) {
  r.Add(Recurrent("LSTM", 1, true).Gradient(Inputs({0, 1, 2, 3, 5, 6})));
  r.Add(Recurrent("GRU", 1, false).Attr("linear_before_reset", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1})));
  r.Add(Recurrent("RNN", 1, false));
  r.Add(Recurrent("DynamicQuantizeLSTM", 1, true, "com.microsoft").Input("W_scale", "S").Input("W_zero_point", "T2")
            .Input("R_scale", "S").Input("R_zero_point", "T2").Types("T2", kInt8Types));
}

}  // namespace qplay
