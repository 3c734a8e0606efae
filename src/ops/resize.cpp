// Resize and its predecessor Upsample, and GridSample.
#include <algorithm>

#include "ops/resize.h"
#include "ops/resize_geometry.h"
#include "ops/schema.h"
#include "ops/upgrade.h"

namespace qplay {
namespace {

// With every input dimension and the scales or sizes known, the exact output; otherwise each
// resized axis of unknown input dimension is unknown (unless sizes name it), and the others
// keep their dimension.
std::vector<ValueInfo> ResizeInfer(InferContext& ctx) {
  const ValueInfo& x = ctx.in(0);
  if (!x.shape) return ctx.Unknown(x.dtype);
  std::vector<const Tensor*> constants;
  for (size_t i = 0; i < ctx.num_inputs(); ++i)
    constants.push_back(ctx.has(i) && ctx.in(i).constant ? &*ctx.in(i).constant : nullptr);
  const ResizeInputs given = PickResizeInputs(ctx.node, ctx.opset, constants);
  const bool stretch = ctx.node.GetString("keep_aspect_ratio_policy", "stretch") == "stretch";
  if (!given.scales && !given.sizes && stretch && !ctx.node.Has("axes") && !IsOp(ctx.node, ops::kUpsample) && ctx.opset >= 11 &&
      ctx.has(3)) {
    // Sizes computed from shapes (Shape, Gather, Concat) are known as elements, perhaps symbolic.
    auto sizes = Elements(ctx.in(3));
    return {ValueInfo::Typed(x.dtype, sizes && static_cast<int64_t>(sizes->size()) == x.rank() ? *sizes : Dims(x.rank()))};
  }
  Shape known;
  for (const Dim& d : *x.shape) known.push_back(d.value.value_or(1));
  auto geometry = ComputeResizeGeometry(ctx.node, known, given);
  if (!geometry.ok()) return {ValueInfo::Typed(x.dtype, Dims(x.rank()))};
  // The common scale of a kept aspect ratio depends on every resized dimension.
  const bool axes_known = std::all_of(geometry->axes.begin(), geometry->axes.end(), [&](int64_t d) { return (*x.shape)[d].known(); });
  Dims out = *x.shape;
  for (int64_t d : geometry->axes) {
    if (!given.sizes && geometry->scales[d] == 1.0) continue;
    const bool exact = stretch ? out[d].known() || given.sizes : axes_known;
    out[d] = exact ? Dim::Known(geometry->output[d]) : Dim{};
  }
  return {ValueInfo::Typed(x.dtype, out)};
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
      .Infer(ResizeInfer).Quant(SharesInputParams(ResizeCopiesElements)).KeptFloat32InFloat16Models();
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
            .Infer(ResizeInfer).KeptFloat32InFloat16Models());
  r.Add(OpSchema("Upsample", 9).Input("X", "T").Input("scales", "F").Output("Y", "T")
            .Attr("mode", AttrType::kString, Attribute::String("nearest"), OneOfStrings({"nearest", "linear"}))
            .Infer(ResizeInfer).KeptFloat32InFloat16Models());
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
