// ExportModel writes the IR back as ONNX: every runnable conformance model survives
// load -> export -> load with identical outputs, and model-level fields are kept.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "onnx/model.h"
#include "model_builder.h"
#include "runtime/session.h"
#include "test_paths.h"

namespace qplay {
namespace {

namespace fs = std::filesystem;

TEST(ModelWriter, ConformanceModelsKeepTheirOutputsThroughExport) {
  int checked = 0;
  for (const char* group : {"node", "pytorch-converted", "pytorch-operator", "simple"})
    for (const auto& entry : fs::directory_iterator(testing::kTestData + "/" + group)) {
      auto model = LoadModelFile((entry.path() / "model.onnx").string());
      if (!model.ok() || !UnsupportedNodes(*model).empty()) continue;
      TensorMap inputs;
      bool readable = true;
      for (size_t i = 0; i < model->graph.inputs.size() && readable; ++i) {
        auto bytes = ReadFileBytes((entry.path() / "test_data_set_0" / ("input_" + std::to_string(i) + ".pb")).string());
        auto t = bytes.ok() ? ParseTensorProto(bytes->data(), bytes->size(), "input") : Result<NamedTensor>(bytes.status());
        readable = t.ok();
        if (readable) inputs[model->graph.inputs[i]] = t->tensor;
      }
      if (!readable) continue;
      auto expected = Session::Create(*model)->Run(inputs);
      if (!expected.ok()) continue;

      auto exported = ExportModel(*model);
      ASSERT_TRUE(exported.ok()) << entry.path();
      auto reloaded = LoadModel(exported->data(), exported->size(), entry.path().string());
      ASSERT_TRUE(reloaded.ok()) << reloaded.status().message();
      auto session = Session::Create(*reloaded);
      ASSERT_TRUE(session.ok()) << session.status().message();
      auto got = session->Run(inputs);
      ASSERT_TRUE(got.ok()) << entry.path() << ": " << got.status().message();
      for (const auto& [name, tensor] : *expected) {
        const Tensor& t = got->at(name);
        ASSERT_EQ(t.shape(), tensor.shape()) << entry.path() << " " << name;
        EXPECT_EQ(std::memcmp(t.raw(), tensor.raw(), t.nbytes()), 0) << entry.path() << " " << name;
      }
      ++checked;
    }
  EXPECT_GT(checked, 700);
}

TEST(ModelWriter, KeepsModelFieldsAndWritesInferredTypes) {
  testing::ModelBuilder b;
  b.Input("x", {-1, 4}).Output("y");
  b.Node("Relu", {"x"}, {"h"})->set_doc_string("first");
  b.Node("Neg", {"h"}, {"y"});
  auto* meta = b.proto().add_metadata_props();
  meta->set_key("author");
  meta->set_value("qplay");
  std::string bytes = b.Bytes();
  auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ASSERT_TRUE(model.ok());
  auto exported = ExportModel(*model);
  ASSERT_TRUE(exported.ok());
  onnx::ModelProto proto;
  ASSERT_TRUE(proto.ParseFromArray(exported->data(), static_cast<int>(exported->size())));
  EXPECT_EQ(proto.metadata_props(0).value(), "qplay");
  EXPECT_EQ(proto.graph().node(0).doc_string(), "first");
  ASSERT_EQ(proto.graph().value_info_size(), 1);
  EXPECT_EQ(proto.graph().value_info(0).name(), "h");
  EXPECT_EQ(proto.graph().value_info(0).type().tensor_type().shape().dim(0).dim_param(), "batch");
  EXPECT_EQ(proto.graph().output(0).type().tensor_type().shape().dim(1).dim_value(), 4);
}

}  // namespace
}  // namespace qplay
