// ScatterND beyond ONNX's conformance cases (test_scatternd*): negative indices, an index out
// of range named in the error, and reduction values the schema refuses at load.
#include <gtest/gtest.h>

#include "model_builder.h"
#include "onnx/model.h"
#include "runtime/session.h"

namespace qplay {
namespace {

// data [4] = 1 2 3 4, scattered with updates [2] at `indices` [2, 1].
Result<TensorMap> Scatter(std::vector<int64_t> indices, const std::string& reduction = "none") {
  testing::ModelBuilder b(16);
  b.Input("data", {4}).Input("indices", {2, 1}, onnx::TensorProto::INT64).Input("updates", {2}).Output("y");
  testing::SetString(b.Node("ScatterND", {"data", "indices", "updates"}, {"y"}, "scatter"), "reduction", reduction);
  const std::string bytes = b.Bytes();
  auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "scatter.onnx");
  if (!model.ok()) return model.status();
  auto session = Session::Create(*model);
  if (!session.ok()) return session.status();
  return session->Run({{"data", Tensor::FromVector<float>({4}, {1, 2, 3, 4})},
                       {"indices", Tensor::FromVector<int64_t>({2, 1}, indices)},
                       {"updates", Tensor::FromVector<float>({2}, {10, 20})}});
}

std::vector<float> Values(const Tensor& t) { return std::vector<float>(t.data<float>(), t.data<float>() + t.size()); }

TEST(ScatterND, ReplacesOrCombinesTheIndexedElements) {
  auto replaced = Scatter({-1, 0});
  ASSERT_TRUE(replaced.ok()) << replaced.status().message();
  EXPECT_EQ(Values(replaced->at("y")), (std::vector<float>{20, 2, 3, 10}));
  auto added = Scatter({1, 1}, "add");
  ASSERT_TRUE(added.ok()) << added.status().message();
  EXPECT_EQ(Values(added->at("y")), (std::vector<float>{1, 32, 3, 4}));
}

TEST(ScatterND, NamesWhatIsWrong) {
  EXPECT_EQ(Scatter({0, 4}).status().message(), "node 'scatter' (ScatterND): index 4 is out of range for dim 0 of size 4");
  EXPECT_EQ(Scatter({0, 1}, "max").status().message(),
            "scatter.onnx: node 'scatter' (ScatterND): attribute 'reduction' must be one of none, add, mul; got 'max'");
}

}  // namespace
}  // namespace qplay
