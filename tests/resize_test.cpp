// Resize's opset 18 sizing (axes, keep_aspect_ratio_policy) in shape inference and the kernel,
// extrapolation on 8-bit tensors, and the errors bad scales and sizes get. Interpolation itself
// is checked by ONNX's conformance tests and, for antialiasing and kept aspect ratios, against
// onnxruntime-node in wasm-tests/wasm/zoo-coverage.test.mjs (resize_*).
#include <gtest/gtest.h>

#include "model_builder.h"
#include "run_model.h"
#include "onnx/model.h"
#include "runtime/session.h"

namespace qplay {
namespace {

void AddInt64s(testing::ModelBuilder& b, const std::string& name, const std::vector<int64_t>& values) {
  auto* t = b.graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_dims(static_cast<int64_t>(values.size()));
  for (int64_t v : values) t->add_int64_data(v);
}

struct Resized {
  std::optional<Dims> inferred;
  Result<Tensor> output = Status();
};

// Resize-18 of x [batch, 2, 4, 6] (batch 1 when run) with `sizes` or float `scales` and the given attributes.
Resized Resize(const std::vector<int64_t>& sizes, const std::vector<float>& scales, const std::vector<int64_t>& axes,
               const std::string& policy, DataType dtype = DataType::kFloat) {
  testing::ModelBuilder b(18);
  const int elem = dtype == DataType::kFloat ? onnx::TensorProto::FLOAT : onnx::TensorProto::INT8;
  b.Input("x", {-1, 2, 4, 6}, elem).Output("y", {}, elem);
  std::vector<std::string> inputs{"x", "", ""};
  if (!scales.empty()) {
    b.Initializer("scales", {static_cast<int64_t>(scales.size())}, scales);
    inputs[2] = "scales";
  } else {
    AddInt64s(b, "sizes", sizes);
    inputs.push_back("sizes");
  }
  auto* node = b.Node("Resize", inputs, {"y"}, "r");
  if (!axes.empty()) testing::SetInts(node, "axes", axes);
  testing::SetString(node, "keep_aspect_ratio_policy", policy);
  if (dtype != DataType::kFloat) {
    b.Initializer("roi", {8}, {0, 0, 0, -0.5f, 1, 1, 1, 1.5f});
    node->set_input(1, "roi");
    testing::SetString(node, "coordinate_transformation_mode", "tf_crop_and_resize");
    testing::SetFloat(node, "extrapolation_value", -300);
  }
  const std::string bytes = b.Bytes();
  Resized r;
  auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "resize.onnx");
  if (!model.ok()) return {std::nullopt, model.status()};
  if (const ValueType* y = model->graph.TypeOf("y")) r.inferred = y->shape;
  auto session = Session::Create(*model);
  if (!session.ok()) return {r.inferred, session.status()};
  Tensor x(dtype, {1, 2, 4, 6});
  for (int64_t i = 0; i < x.size(); ++i) x.SetFromDouble(i, static_cast<double>(i % 24));
  auto out = session->Run({{"x", x}});
  if (!out.ok()) return {r.inferred, out.status()};
  r.output = out->at("y");
  return r;
}

std::string Text(const std::optional<Dims>& dims) {
  if (!dims) return "unknown";
  std::string text;
  for (const Dim& d : *dims) text += (text.empty() ? "" : ",") + (d.known() ? std::to_string(*d.value) : d.symbol.empty() ? "?" : d.symbol);
  return text;
}

TEST(Resize, KeptAspectRatioScalesTheNamedAxesByOneFactor) {
  // Sizes [6, 6] over axes 2 and 3 of [.., 4, 6]: the factors are 1.5 and 1.
  auto not_larger = Resize({6, 6}, {}, {2, 3}, "not_larger"), not_smaller = Resize({6, 6}, {}, {2, 3}, "not_smaller");
  EXPECT_EQ(Text(not_larger.inferred), "batch,2,4,6");
  EXPECT_EQ(Text(not_smaller.inferred), "batch,2,6,9");
  ASSERT_TRUE(not_smaller.output.ok()) << not_smaller.output.status().message();
  EXPECT_EQ(not_smaller.output->shape(), (Shape{1, 2, 6, 9}));
  // Axes named in another order take their sizes in that order.
  auto stretched = Resize({3, 8}, {}, {3, 2}, "stretch");
  EXPECT_EQ(Text(stretched.inferred), "batch,2,8,3");
  auto scaled = Resize({}, {0.5f}, {-1}, "stretch");
  EXPECT_EQ(Text(scaled.inferred), "batch,2,4,3");
}

TEST(Resize, ExtrapolatesOnEightBitTensorsWithTheValueSaturated) {
  // Along the last axis the region is [-0.5, 1.5] of the input: 4 outputs sample it at -2.5,
  // 0.83, 4.17 and 7.5, of which the first and last fall outside the 6 elements.
  auto r = Resize({1, 2, 4, 4}, {}, {}, "stretch", DataType::kInt8);
  ASSERT_TRUE(r.output.ok()) << r.output.status().message();
  const int8_t* y = r.output->data<int8_t>();
  EXPECT_EQ(std::vector<int>(y, y + 4), (std::vector<int>{-128, 1, 4, -128}));
}

TEST(Resize, BadScalesAndSizesNameWhatIsWrong) {
  EXPECT_EQ(Resize({}, {1, 1, -1, 2}, {}, "stretch").output.status().message(),
            "node 'r' (Resize): scales[2] is -1; scales must be positive and finite");
  EXPECT_EQ(Resize({}, {2}, {2}, "not_larger").output.status().message(),
            "node 'r' (Resize): keep_aspect_ratio_policy 'not_larger' needs sizes, not scales");
  EXPECT_EQ(Resize({4, 4}, {}, {}, "stretch").output.status().message(), "node 'r' (Resize): sizes has 2 values for 4 axes");
  EXPECT_EQ(Resize({1, 2, -4, 4}, {}, {}, "stretch").output.status().message(),
            "node 'r' (Resize): sizes[2] is -4; sizes cannot be negative");
}

// Antialiased linear Resize-18 of x [1, 1, 1, 6] by `scale` along the last axis.
Result<Tensor> AntialiasedResize(float scale) {
  testing::ModelBuilder b(18);
  b.Input("x", {1, 1, 1, 6}).Output("y", {});
  b.Initializer("scales", {4}, {1, 1, 1, scale});
  auto* node = b.Node("Resize", {"x", "", "scales"}, {"y"}, "r");
  testing::SetString(node, "mode", "linear");
  testing::SetInt(node, "antialias", 1);
  auto out = testing::LoadAndRun(b.Bytes(), {{"x", Tensor(DataType::kFloat, {1, 1, 1, 6})}}, "resize.onnx");
  if (!out.ok()) return out.status();
  return out->at("y");
}

TEST(Resize, AntialiasingToNothingGivesAnEmptyAxis) {
  // A scale too small for one output element would ask for a window of 1e40 inputs.
  auto empty = AntialiasedResize(1e-40f);
  ASSERT_TRUE(empty.ok()) << empty.status().message();
  EXPECT_EQ(empty->shape(), (Shape{1, 1, 1, 0}));
}

TEST(Resize, AnEmptyOutputPlansNoAxis) {
  // One axis resized to nothing empties the output; the other's 10^10 indices are never planned.
  auto r = Resize({1, 10'000'000'000, 0, 6}, {}, {}, "stretch");
  ASSERT_TRUE(r.output.ok()) << r.output.status().message();
  EXPECT_EQ(r.output->shape(), (Shape{1, 10'000'000'000, 0, 6}));
}

}  // namespace
}  // namespace qplay
