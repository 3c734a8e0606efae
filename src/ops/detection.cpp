// Object-detection ops: NonMaxSuppression and RoiAlign.
#include "ops/schema.h"
#include "ops/upgrade.h"

namespace qplay {
namespace {

// [selected boxes, 3]: how many are selected is known only when it runs.
std::vector<ValueInfo> NonMaxSuppressionInfer(InferContext& ctx) {
  return {ValueInfo::Typed(DataType::kInt64, Dims{Dim{}, Dim::Known(3)})};
}

// [rois, channels, output_height, output_width].
std::vector<ValueInfo> RoiAlignInfer(InferContext& ctx) {
  const auto &x = ctx.in(0).shape, &rois = ctx.in(1).shape;
  Dims out{rois && !rois->empty() ? (*rois)[0] : Dim{}, x && x->size() == 4 ? (*x)[1] : Dim{},
           Dim::Known(ctx.node.GetInt("output_height", 1)), Dim::Known(ctx.node.GetInt("output_width", 1))};
  return {ValueInfo::Typed(ctx.in(0).dtype, out)};
}

OpSchema RoiAlignSchema(int64_t since) {
  return OpSchema("RoiAlign", since).Input("X", "T1").Input("rois", "T1").Input("batch_indices", "T2").Output("Y", "T1")
      .Types("T1", {DataType::kFloat, DataType::kDouble}).Types("T2", {DataType::kInt64})
      .Attr("mode", AttrType::kString, Attribute::String("avg"), OneOfStrings({"avg", "max"}))
      .Attr("output_height", AttrType::kInt, Attribute::Int(1), AtLeast(1))
      .Attr("output_width", AttrType::kInt, Attribute::Int(1), AtLeast(1))
      .Attr("sampling_ratio", AttrType::kInt, Attribute::Int(0), AtLeast(0))
      .Attr("spatial_scale", AttrType::kFloat, Attribute::Float(1.0f))
      .Infer(RoiAlignInfer).KeptFloat32InFloat16Models();
}

}  // namespace

void RegisterDetectionSchemas(SchemaRegistry& r) {
  for (int64_t since : {10, 11})
    r.Add(OpSchema("NonMaxSuppression", since).Input("boxes", "T").Input("scores", "T")
              .Input("max_output_boxes_per_class", "I", kOptional).Input("iou_threshold", "T", kOptional)
              .Input("score_threshold", "T", kOptional).Output("selected_indices", "I")
              .Types("T", {DataType::kFloat}).Types("I", {DataType::kInt64})
              .Attr("center_point_box", AttrType::kInt, Attribute::Int(0), OneOfInts({0, 1}))
              .Infer(NonMaxSuppressionInfer).KeptFloat32InFloat16Models());
  r.Add(RoiAlignSchema(10));
  // Version 16 adds the half-pixel shift; version 10 behaves as "output_half_pixel".
  r.Add(RoiAlignSchema(16).Attr("coordinate_transformation_mode", AttrType::kString, Attribute::String("half_pixel"),
                                OneOfStrings({"half_pixel", "output_half_pixel"})));
}

namespace {

// Version 16 shifts by half a pixel unless told not to; version 10 did not.
Status RoiAlignKeepsItsPixelGrid(UpgradeContext& ctx) {
  if (!ctx.node().Has("coordinate_transformation_mode"))
    ctx.node().attributes["coordinate_transformation_mode"] = Attribute::String("output_half_pixel");
  return Status::Ok();
}

}  // namespace

void RegisterDetectionUpgrades(UpgradeRegistry& r) { r.Add("RoiAlign", 16, RoiAlignKeepsItsPixelGrid); }

}  // namespace qplay
