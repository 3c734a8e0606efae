// TopK, ScatterElements, OneHot and RoiAlign beyond ONNX's conformance cases: how TopK ranks ties
// and NaN, what is wrong named in each error, and RoiAlign over NaN regions.
#include <gtest/gtest.h>

#include <cmath>

#include "model_builder.h"
#include "run_model.h"

namespace qplay {
namespace {

// Runs a model of one node `op` over `inputs` (float unless given as int64).
Result<TensorMap> RunOne(const std::string& op, const TensorMap& inputs, std::vector<std::string> outputs = {"y"}) {
  testing::ModelBuilder b(13);
  std::vector<std::string> names;
  for (const auto& [name, t] : inputs) {
    b.Input(name, t.shape(), t.dtype() == DataType::kInt64 ? onnx::TensorProto::INT64 : onnx::TensorProto::FLOAT);
    names.push_back(name);
  }
  for (const auto& out : outputs) b.Output(out);
  b.Node(op, names, outputs, "node");
  return testing::LoadAndRun(b.Bytes(), inputs, "one.onnx");
}

TEST(TopK, RanksNaNFirstAndTiesByIndex) {
  const float nan = std::nanf("");
  auto top = RunOne("TopK", {{"a_x", Tensor::FromVector<float>({6}, {1, nan, 3, 3, -2, 5})}, {"b_k", Tensor::FromVector<int64_t>({1}, {4})}},
                    {"values", "indices"});
  ASSERT_TRUE(top.ok()) << top.status().message();
  const int64_t* indices = top->at("indices").data<int64_t>();
  EXPECT_EQ(std::vector<int64_t>(indices, indices + 4), (std::vector<int64_t>{1, 5, 2, 3}));
  EXPECT_TRUE(std::isnan(top->at("values").data<float>()[0]));
  EXPECT_EQ(RunOne("TopK", {{"a_x", Tensor(DataType::kFloat, {3})}, {"b_k", Tensor::FromVector<int64_t>({1}, {4})}}, {"values", "indices"})
                .status().message(),
            "node 'node' (TopK): k 4 must be in [0, 3], the length of axis 0");
}

TEST(ScatterElements, NamesAnIndexOutOfRange) {
  auto out = RunOne("ScatterElements", {{"a_data", Tensor(DataType::kFloat, {2, 2})},
                                        {"b_indices", Tensor::FromVector<int64_t>({1, 2}, {0, 2})},
                                        {"c_updates", Tensor(DataType::kFloat, {1, 2})}});
  EXPECT_EQ(out.status().message(), "node 'node' (ScatterElements): index 2 is out of range for dim 0 of size 2");
}

TEST(OneHot, NamesABadDepth) {
  auto out = RunOne("OneHot", {{"a_indices", Tensor::FromVector<int64_t>({2}, {0, 1})},
                               {"b_depth", Tensor::FromVector<float>({1}, {0})},
                               {"c_values", Tensor::FromVector<float>({2}, {0, 1})}});
  EXPECT_EQ(out.status().message(), "node 'node' (OneHot): depth must be a positive number of classes, got 0");
}

TEST(RoiAlign, ANaNRegionSamplesNothing) {
  // The fuzzer's case: a NaN roi once cast NaN sample coordinates to integers.
  const float nan = std::nanf("");
  auto out = RunOne("RoiAlign", {{"a_x", Tensor::FromVector<float>({1, 1, 2, 2}, {1, 2, 3, 4})},
                                 {"b_rois", Tensor::FromVector<float>({2, 4}, {nan, 0, 1, 1, 0, 0, 1, 1})},
                                 {"c_batch", Tensor::FromVector<int64_t>({2}, {0, 0})}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->at("y").data<float>()[0], 0.0f);
  EXPECT_GT(out->at("y").data<float>()[1], 0.0f);
}

}  // namespace
}  // namespace qplay
