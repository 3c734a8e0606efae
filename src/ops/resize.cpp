// Resize and its predecessor Upsample, and GridSample.
#include <cmath>

#include "ops/schema.h"
#include "ops/upgrade.h"

namespace qplay {
namespace {

// floor(dim * scale), as Resize sizes its output; unknown when that is not a valid dimension.
Dim ScaledDim(int64_t dim, double scale) {
  const double size = std::floor(static_cast<double>(dim) * scale);
  return size >= 0 && size < 9.2e18 ? Dim::Known(static_cast<int64_t>(size)) : Dim{};
}

std::vector<ValueInfo> ResizeInfer(InferContext& ctx) {
  const ValueInfo& x = ctx.in(0);
  if (!x.shape) return ctx.Unknown(x.dtype);
  const int64_t rank = x.rank();
  const bool upsample = ctx.node.op_type == "Upsample";
  const size_t scales_at = upsample || ctx.opset < 11 ? 1 : 2;
  std::optional<std::vector<double>> scales;
  if (upsample && ctx.opset < 9) {
    scales.emplace();
    for (float s : ctx.node.GetFloats("scales")) scales->push_back(s);
  } else if (ctx.has(scales_at) && ctx.in(scales_at).constant && ctx.in(scales_at).constant->size() > 0) {
    const Tensor& t = *ctx.in(scales_at).constant;
    scales.emplace();
    for (int64_t i = 0; i < t.size(); ++i) scales->push_back(t.GetAsDouble(i));
  }
  if (scales && static_cast<int64_t>(scales->size()) == rank) {
    Dims out = *x.shape;
    for (int64_t d = 0; d < rank; ++d)
      if ((*scales)[d] != 1.0) out[d] = out[d].known() ? ScaledDim(*out[d].value, (*scales)[d]) : Dim{};
    return {ValueInfo::Typed(x.dtype, out)};
  }
  if (auto sizes = Elements(ctx.in(3))) return {ValueInfo::Typed(x.dtype, *sizes)};
  return {ValueInfo::Typed(x.dtype, Dims(rank))};
}

const std::vector<std::string> kModes = {"nearest", "linear", "cubic"};

// Nearest Resize copies elements (tf_crop_and_resize also writes a float extrapolation value).
// Linear and cubic interpolate: ONNX Runtime runs them on the 8-bit tensor, truncating each
// result, so qplay gives them output parameters of their own and runs them in float.
bool ResizeCopiesElements(const Graph&, const Node& node) {
  return node.GetString("mode", "nearest") == "nearest" &&
         node.GetString("coordinate_transformation_mode", "half_pixel") != "tf_crop_and_resize";
}

OpSchema Resize(int64_t since) {
  OpSchema s("Resize", since);
  s.Input("X", "T").Output("Y", "T").Attr("mode", AttrType::kString, Attribute::String("nearest"), OneOfStrings(kModes))
      .Infer(ResizeInfer).Quant(SharesInputParams(ResizeCopiesElements));
  if (since == 10) return s.Input("scales", "F");
  s.Input("roi", "F", kOptional).Input("scales", "F", kOptional).Input("sizes", "I", kOptional).Types("I", {DataType::kInt64})
      .Attr("coordinate_transformation_mode", AttrType::kString, Attribute::String("half_pixel"),
            OneOfStrings({"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric",
                          "tf_half_pixel_for_nn", "tf_crop_and_resize"}))
      .Attr("cubic_coeff_a", AttrType::kFloat, Attribute::Float(-0.75f))
      .Attr("exclude_outside", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1}))
      .Attr("extrapolation_value", AttrType::kFloat, Attribute::Float(0))
      .Attr("nearest_mode", AttrType::kString, Attribute::String("round_prefer_floor"),
            OneOfStrings({"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}));
  if (since == 18)
    s.Attr("antialias", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1})).OptionalAttr("axes", AttrType::kInts, AxesInRank())
        .Attr("keep_aspect_ratio_policy", AttrType::kString, Attribute::String("stretch"),
              OneOfStrings({"stretch", "not_larger", "not_smaller"}));
  return s;
}

// [N, C, grid's H, grid's W].
std::vector<ValueInfo> GridSampleInfer(InferContext& ctx) {
  const auto &x = ctx.in(0).shape, &grid = ctx.in(1).shape;
  if (!x || !grid || x->size() != 4 || grid->size() != 4) return ctx.Unknown(ctx.in(0).dtype);
  return {ValueInfo::Typed(ctx.in(0).dtype, Dims{(*x)[0], (*x)[1], (*grid)[1], (*grid)[2]})};
}

OpSchema GridSample(int64_t since, std::vector<std::string> modes) {
  const std::string default_mode = modes[0];
  return OpSchema("GridSample", since).Input("X", "T1").Input("grid", "T2").Output("Y", "T1")
      .Types("T2", {DataType::kFloat, DataType::kDouble})
      .Attr("align_corners", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1}))
      .Attr("mode", AttrType::kString, Attribute::String(default_mode), OneOfStrings(std::move(modes)))
      .Attr("padding_mode", AttrType::kString, Attribute::String("zeros"), OneOfStrings({"zeros", "border", "reflection"}))
      .Infer(GridSampleInfer);
}

}  // namespace

void RegisterResizeSchemas(SchemaRegistry& r) {
  r.Add(GridSample(16, {"bilinear", "nearest", "bicubic"}));
  r.Add(GridSample(20, {"linear", "nearest", "cubic"}));
  for (int64_t since : {10, 11, 18}) r.Add(Resize(since));
  r.Add(OpSchema("Upsample", 1).Input("X", "T").Output("Y", "T").OptionalAttr("scales", AttrType::kFloats)
            .OptionalAttr("height_scale", AttrType::kFloat).OptionalAttr("width_scale", AttrType::kFloat)
            .Attr("mode", AttrType::kString, Attribute::String("nearest"), OneOfStrings({"nearest", "linear", "bilinear"}))
            .Infer(ResizeInfer));
  r.Add(OpSchema("Upsample", 9).Input("X", "T").Input("scales", "F").Output("Y", "T")
            .Attr("mode", AttrType::kString, Attribute::String("nearest"), OneOfStrings({"nearest", "linear"}))
            .Infer(ResizeInfer));
}

namespace {

Status UpsampleScalesToInput(UpgradeContext& ctx) {
  Node& node = ctx.node();
  if (!node.Has("scales")) return ctx.Refuse("it has no scales");
  const std::vector<float> scales = node.GetFloats("scales");
  node.attributes.erase("scales");
  SetInput(ctx.node(), 1, ctx.AddConstant("scales", Tensor::FromVector<float>({static_cast<int64_t>(scales.size())}, scales)));
  return Status::Ok();
}

// Upsample ends at 9; Resize 10 takes the same inputs and modes.
Status UpsampleBecomesResize(UpgradeContext& ctx) {
  ctx.node().op_type = "Resize";
  return Status::Ok();
}

// Resize 11 adds roi before scales and coordinate modes; version 10 sampled at out / scale and
// took the nearest pixel below.
Status ResizeTakesRoi(UpgradeContext& ctx) {
  Node& node = ctx.node();
  const std::string scales = node.inputs.size() > 1 ? node.inputs[1] : "";
  const std::string roi = ctx.AddConstant("roi", Tensor(DataType::kFloat, {0}));
  Node& resize = ctx.node();
  resize.inputs = {resize.inputs[0], roi, scales};
  resize.attributes["coordinate_transformation_mode"] = Attribute::String("asymmetric");
  if (resize.GetString("mode", "nearest") == "nearest") resize.attributes["nearest_mode"] = Attribute::String("floor");
  return Status::Ok();
}

// Version 20 renames the modes.
Status GridSampleModeNames(UpgradeContext& ctx) {
  const std::string mode = ctx.node().GetString("mode", "bilinear");
  ctx.node().attributes["mode"] = Attribute::String(mode == "bilinear" ? "linear" : mode == "bicubic" ? "cubic" : mode);
  return Status::Ok();
}

}  // namespace

void RegisterResizeUpgrades(UpgradeRegistry& r) {
  r.Add("GridSample", 20, GridSampleModeNames);
  r.Add("Upsample", 9, UpsampleScalesToInput);
  r.Add("Upsample", 10, UpsampleBecomesResize);
  r.Add("Resize", 11, ResizeTakesRoi);
}

}  // namespace qplay
