// GatherND beyond ONNX's conformance cases (test_gathernd*): negative indices, batch dims
// with slices, the shape inference gives, and what is wrong named in the error.
#include <gtest/gtest.h>

#include "model_builder.h"
#include "onnx/model.h"
#include "runtime/session.h"

namespace qplay {
namespace {

// data [2, 3, 2] = 0..11 gathered at `indices` [2, 1, `indexed`] with `batch_dims`.
struct Gathered {
  Result<TensorMap> outputs;
  std::optional<Dims> inferred;
};

Gathered Gather(std::vector<int64_t> indices, int64_t indexed, int64_t batch_dims) {
  testing::ModelBuilder b(13);
  b.Input("data", {2, 3, 2}).Input("indices", {2, 1, indexed}, onnx::TensorProto::INT64).Output("y");
  testing::SetInt(b.Node("GatherND", {"data", "indices"}, {"y"}, "gather"), "batch_dims", batch_dims);
  const std::string bytes = b.Bytes();
  auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "gather.onnx");
  if (!model.ok()) return {model.status(), std::nullopt};
  const ValueType* y = model->graph.TypeOf("y");
  auto session = Session::Create(*model);
  if (!session.ok()) return {session.status(), std::nullopt};
  std::vector<float> data(12);
  for (int i = 0; i < 12; ++i) data[i] = static_cast<float>(i);
  return {session->Run({{"data", Tensor::FromVector<float>({2, 3, 2}, data)},
                        {"indices", Tensor::FromVector<int64_t>({2, 1, indexed}, indices)}}),
          y && y->shape ? y->shape : std::nullopt};
}

std::vector<float> Values(const Tensor& t) { return std::vector<float>(t.data<float>(), t.data<float>() + t.size()); }

TEST(GatherND, GathersSlicesWithinEachBatch) {
  // batch_dims 1: batch 0 takes its row 2, batch 1 its row -3 (= 0): slices of 2.
  auto rows = Gather({2, -3}, 1, 1);
  ASSERT_TRUE(rows.outputs.ok()) << rows.outputs.status().message();
  EXPECT_EQ(Values(rows.outputs->at("y")), (std::vector<float>{4, 5, 6, 7}));
  EXPECT_EQ(rows.outputs->at("y").shape(), (Shape{2, 1, 2}));
  ASSERT_TRUE(rows.inferred);
  std::vector<std::string> inferred;
  for (const Dim& d : *rows.inferred) inferred.push_back(d.ToString());
  EXPECT_EQ(inferred, (std::vector<std::string>{"2", "1", "2"}));
  // batch_dims 0: whole-tensor tuples (i, j, k) pick single elements.
  auto elements = Gather({1, 2, 1, 0, 0, 0}, 3, 0);
  ASSERT_TRUE(elements.outputs.ok()) << elements.outputs.status().message();
  EXPECT_EQ(Values(elements.outputs->at("y")), (std::vector<float>{11, 0}));
}

TEST(GatherND, NamesWhatIsWrong) {
  EXPECT_EQ(Gather({0, 3}, 1, 1).outputs.status().message(),
            "node 'gather' (GatherND): index 3 is out of range for dim 1 of size 3");
  EXPECT_EQ(Gather({0, 0}, 1, 3).outputs.status().message(),
            "node 'gather' (GatherND): batch_dims 3 must be below the ranks of data (3) and indices (3)");
  EXPECT_EQ(Gather({0, 0, 0, 0, 0, 0}, 3, 1).outputs.status().message(),
            "node 'gather' (GatherND): indices' last dim 3 must be in [1, 2] (data's rank minus batch_dims)");
  EXPECT_EQ(Gather({0, 0}, 1, -1).outputs.status().message(),
            "gather.onnx: node 'gather' (GatherND): attribute 'batch_dims' must be >= 0; got -1");
}

}  // namespace
}  // namespace qplay
