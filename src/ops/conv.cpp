// Convolutions: Conv, ConvTranspose and the integer forms ConvInteger and QLinearConv.
#include "ops/conv.h"
#include "ops/schema.h"
#include "ops/window.h"

namespace qplay {
namespace {

std::vector<ValueInfo> ConvInfer(InferContext& ctx) { return WindowedInfer(ctx, ctx.in(0).dtype, &ctx.in(1)); }
std::vector<ValueInfo> ConvIntegerInfer(InferContext& ctx) { return WindowedInfer(ctx, DataType::kInt32, &ctx.in(1)); }
std::vector<ValueInfo> QLinearConvInfer(InferContext& ctx) { return WindowedInfer(ctx, ctx.in(7).dtype, &ctx.in(3)); }

// Each output element takes C/group x kernel multiply-adds: W's elements per output channel.
template <size_t kWeight>
int64_t ConvMacs(const Node&, const std::vector<Shape>& in, const std::vector<Shape>& out) {
  if (in.size() <= kWeight || out.empty() || in[kWeight].empty() || in[kWeight][0] == 0) return 0;
  return NumElements(out[0]) * (NumElements(in[kWeight]) / in[kWeight][0]);
}

// Each input element is scattered over C_out/group x kernel outputs: W's elements per input channel.
int64_t ConvTransposeMacs(const Node&, const std::vector<Shape>& in, const std::vector<Shape>&) {
  if (in.size() < 2 || in[1].empty() || in[1][0] == 0) return 0;
  return NumElements(in[0]) * (NumElements(in[1]) / in[1][0]);
}

std::vector<std::string> FusedActivationNames() {
  std::vector<std::string> names;
  for (OpType op : ops::kFusedConvActivations) names.emplace_back(op.type);
  return names;
}

int64_t OutputChannelsFirst(const Node&, const Shape&) { return 0; }   // W [M, C/group, k...]
int64_t OutputChannelsSecond(const Node&, const Shape&) { return 1; }  // W [C, M/group, k...]

OpSchema Convolution(const std::string& op, int64_t since, const std::string& domain = "") {
  OpSchema s(op, since, domain);
  WindowAttrs(s).Attr("group", AttrType::kInt, Attribute::Int(1), AtLeast(1));
  return s;
}

}  // namespace

void RegisterConvSchemas(SchemaRegistry& r) {
  r.Add(Convolution("Conv", 1).Input("X", "T").Input("W", "T").Input("B", "T", kOptional).Output("Y", "T")
            .Types("T", kFloatTypes).Infer(ConvInfer).Macs(ConvMacs<1>).Quant(Weighted(1, OutputChannelsFirst, 2))
            .Gradient(Inputs({0, 1, 2})));
  // ONNX Runtime's Conv with its sum input Z and activation fused (ConvActivationFusion), which
  // qplay's inference optimizer also writes (passes/inference_optimization.h).
  r.Add(Convolution("FusedConv", 1, std::string(kMicrosoftDomain)).Input("X", "T").Input("W", "T").Input("B", "T", kOptional)
            .Input("Z", "T", kOptional).Output("Y", "T").Types("T", {DataType::kFloat})
            .OptionalAttr("activation", AttrType::kString, OneOfStrings(FusedActivationNames()))
            .OptionalAttr("activation_params", AttrType::kFloats).Infer(ConvInfer).Macs(ConvMacs<1>));
  r.Add(Convolution("ConvTranspose", 1).Input("X", "T").Input("W", "T").Input("B", "T", kOptional).Output("Y", "T")
            .Types("T", kFloatTypes).OptionalAttr("output_padding", AttrType::kInts, AtLeast(0))
            .OptionalAttr("output_shape", AttrType::kInts, AtLeast(0)).Infer(ConvInfer).Macs(ConvTransposeMacs)
            .Quant(Weighted(1, OutputChannelsSecond, 2)));
  r.Add(Convolution("ConvInteger", 10).Input("x", "T1").Input("w", "T2").Input("x_zero_point", "T1", kOptional)
            .Input("w_zero_point", "T2", kOptional).Output("y", "T3").Types("T1", kInt8Types).Types("T2", kInt8Types)
            .Infer(ConvIntegerInfer).Macs(ConvMacs<1>));
  r.Add(Convolution("QLinearConv", 10).Input("x", "T1").Input("x_scale", "S").Input("x_zero_point", "T1")
            .Input("w", "T2").Input("w_scale", "S").Input("w_zero_point", "T2").Input("y_scale", "S")
            .Input("y_zero_point", "T3").Input("B", "T4", kOptional).Output("y", "T3").Types("T1", kInt8Types)
            .Types("T2", kInt8Types).Types("T3", kInt8Types).Infer(QLinearConvInfer).Macs(ConvMacs<3>));
}

}  // namespace qplay
