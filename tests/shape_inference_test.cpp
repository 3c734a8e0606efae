// Shape inference checked against what the runtime actually produces, over ONNX's
// conformance models and the PyTorch models with a symbolic batch dimension.
#include <gtest/gtest.h>

#include <algorithm>

#include <filesystem>
#include <set>

#include "graph/shape_inference.h"
#include "runtime/session.h"
#include "test_paths.h"
#include "onnx/model.h"

namespace qplay {
namespace {

namespace fs = std::filesystem;

// Forget every type the file declared except the graph inputs', then infer.
void ReinferFromInputsOnly(Model& model) {
  std::map<std::string, ValueType> inputs;
  for (const auto& name : model.graph.inputs)
    if (auto* t = model.graph.TypeOf(name)) inputs[name] = *t;
  model.graph.value_types = inputs;
  ASSERT_TRUE(InferShapes(model).ok());
}

std::string Mismatch(const ValueType& inferred, const Tensor& actual) {
  if (inferred.dtype != actual.dtype())
    return "dtype " + DataTypeName(inferred.dtype) + " vs " + DataTypeName(actual.dtype());
  if (!inferred.shape) return "";
  if (inferred.shape->size() != actual.shape().size()) return "rank of " + inferred.ShapeString() + " vs " + ShapeToString(actual.shape());
  for (size_t d = 0; d < actual.shape().size(); ++d) {
    const Dim& dim = (*inferred.shape)[d];
    if (dim.known() && *dim.value != actual.shape()[d]) return inferred.ShapeString() + " vs " + ShapeToString(actual.shape());
  }
  return "";
}

TEST(ShapeInference, AgreesWithTheRuntimeOnConformanceModels) {
  int values = 0, fully_known = 0;
  std::map<std::string, int> unknown_by_op;
  std::set<std::string> unknown_tests;
  for (const auto& group : {"node", "pytorch-converted", "pytorch-operator", "simple"}) {
    for (const auto& entry : fs::directory_iterator(testing::kTestData + "/" + group)) {
      auto model = LoadModelFile((entry.path() / "model.onnx").string());
      if (!model.ok() || !UnsupportedNodes(*model).empty()) continue;
      ReinferFromInputsOnly(*model);
      auto session = Session::Create(*model);
      TensorMap inputs;
      bool readable = true;
      for (size_t i = 0; i < model->graph.inputs.size(); ++i) {
        auto bytes = ReadFileBytes((entry.path() / "test_data_set_0" / ("input_" + std::to_string(i) + ".pb")).string());
        auto t = bytes.ok() ? ParseTensorProto(bytes->data(), bytes->size(), "input") : Result<NamedTensor>(bytes.status());
        if (!t.ok()) readable = false;
        else inputs[model->graph.inputs[i]] = t->tensor;
      }
      if (!readable) continue;
      const Graph& graph = model->graph;
      // Integer or one-value graph inputs (a Reshape target, Slice bounds, OneHot's depth,
      // Range's limits) and NonZero (its count) make shapes depend on data: such models are
      // checked for agreement but not counted for coverage.
      bool data_dependent = false;
      for (const auto& name : graph.inputs) {
        const ValueType* t = graph.TypeOf(name);
        const bool one_value = t && t->shape && t->shape->size() <= 1 &&
                               std::all_of(t->shape->begin(), t->shape->end(), [](const Dim& d) { return d.known() && *d.value == 1; });
        data_dependent = data_dependent || (t && (t->dtype == DataType::kInt64 || t->dtype == DataType::kInt32)) || one_value;
      }
      // So do Resize's scales when the graph takes them as an input.
      const std::set<std::string> graph_inputs(graph.inputs.begin(), graph.inputs.end());
      for (const Node& node : graph.nodes) {
        data_dependent = data_dependent || node.op_type == "NonZero";
        if (node.op_type == "Resize" || node.op_type == "Upsample")
          for (size_t i = 1; i < node.inputs.size(); ++i) data_dependent = data_dependent || graph_inputs.count(node.inputs[i]) > 0;
      }
      std::set<std::string> main_graph_values;
      for (const Node& node : graph.nodes) main_graph_values.insert(node.outputs.begin(), node.outputs.end());
      auto run = session->Run(inputs, [&](const Node& node, const std::string& name, const Tensor& actual) {
        if (!main_graph_values.count(name)) return;  // subgraph values count through their parent's outputs
        if (data_dependent) {
          if (const ValueType* inferred = graph.TypeOf(name))
            EXPECT_EQ(Mismatch(*inferred, actual), "") << entry.path().filename() << " " << node.Describe();
          return;
        }
        const ValueType* inferred = graph.TypeOf(name);
        if (!inferred) {
          ++unknown_by_op[node.op_type];
          ADD_FAILURE() << entry.path().filename() << " " << node.Describe() << ": no type inferred for " << name;
          return;
        }
        ++values;
        EXPECT_EQ(Mismatch(*inferred, actual), "") << entry.path().filename() << " " << node.Describe() << " output " << name;
        bool known = inferred->shape.has_value();
        if (known)
          for (const Dim& d : *inferred->shape) known = known && d.known();
        if (known) ++fully_known;
        else ++unknown_by_op[node.op_type], unknown_tests.insert(entry.path().filename().string() + ":" + node.op_type);
      });
    }
  }
  std::string unknown;
  for (const auto& [op, n] : unknown_by_op) unknown += op + ":" + std::to_string(n) + " ";
  for (const auto& t : unknown_tests) unknown += "\n  " + t;
  EXPECT_GT(values, 1000);
  // Data-dependent shapes (Range with runtime inputs, Loop scan outputs) cannot be known statically.
  EXPECT_GE(fully_known, values * 98 / 100) << "values without a fully known shape, by op: " << unknown;
}

class SymbolicBatch : public ::testing::TestWithParam<std::string> {};

TEST_P(SymbolicBatch, EveryValueKeepsTheBatchSymbol) {
  auto model = LoadModelFile(testing::SourcePath("tests/models/" + GetParam() + ".onnx"));
  ASSERT_TRUE(model.ok());
  ReinferFromInputsOnly(*model);
  const ValueType* logits = model->graph.TypeOf("logits");
  ASSERT_NE(logits, nullptr);
  EXPECT_EQ(logits->ShapeString(), "[batch, 10]");
  for (const Node& node : model->graph.nodes)
    for (const auto& out : node.outputs) {
      const ValueType* t = model->graph.TypeOf(out);
      ASSERT_NE(t, nullptr) << node.Describe();
      EXPECT_NE(t->dtype, DataType::kUndefined) << node.Describe();
      ASSERT_TRUE(t->shape.has_value()) << node.Describe() << " has no inferred rank";
      for (const Dim& d : *t->shape)  // "batch" or an expression of it, such as "batch*2"
        EXPECT_TRUE(d.known() || d.symbol.find("batch") != std::string::npos) << node.Describe() << " " << t->ShapeString();
    }
}

INSTANTIATE_TEST_SUITE_P(Exported, SymbolicBatch, ::testing::Values("cnn_bn", "transformer_block", "lstm", "gru", "decoder"));

}  // namespace
}  // namespace qplay
