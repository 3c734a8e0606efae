// One test per kind of bad model input; each asserts the message a user sees.
#include <gtest/gtest.h>

#include "model_builder.h"
#include "onnx/model.h"
#include "runtime/session.h"

namespace qplay {
namespace {

using testing::ModelBuilder;

Result<Model> Load(const std::string& bytes) {
  return LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "bad.onnx");
}

ModelBuilder ReluModel() {
  ModelBuilder b;
  b.Input("x", {1, 4}).Output("y");
  b.Node("Relu", {"x"}, {"y"}, "relu1");
  return b;
}

TEST(LoaderErrors, EmptyFile) {
  auto m = Load("");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), "bad.onnx is empty (0 bytes)");
}

TEST(LoaderErrors, TruncatedFile) {
  std::string bytes = ReluModel().Bytes();
  auto m = Load(bytes.substr(0, bytes.size() - 7));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(),
            "bad.onnx is not an ONNX model: protobuf parsing failed (the file is truncated or not an .onnx file)");
}

TEST(LoaderErrors, NotProtobuf) {
  auto m = Load("\x89PNG\r\n\x1a\n this is an image, not a model");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("bad.onnx is not an ONNX model"), std::string::npos) << m.status().message();
}

TEST(LoaderErrors, NoGraph) {
  onnx::ModelProto proto;
  proto.set_ir_version(8);
  auto m = Load(proto.SerializeAsString());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), "bad.onnx has no graph");
}

TEST(LoaderErrors, UnsupportedOpNamesNodeAndOp) {
  auto b = ReluModel();
  b.Node("FancyOp", {"y"}, {"z"}, "mystery");
  b.Output("z");
  auto m = Load(b.Bytes());
  ASSERT_TRUE(m.ok()) << "a model with an unknown op still loads (info, roundtrip)";
  auto s = Session::Create(*m);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "node 'mystery' (FancyOp): op FancyOp is not supported by qplay's runtime");
}

TEST(LoaderErrors, OpsetTooNew) {
  ModelBuilder b(23);
  b.Input("x", {1}).Output("y");
  b.Node("Relu", {"x"}, {"y"});
  auto m = Load(b.Bytes());
  ASSERT_TRUE(m.ok());
  auto s = Session::Create(*m);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "the model imports ai.onnx opset 23; qplay runs opsets 1 to 22");
}

TEST(LoaderErrors, ExternalDataWithoutItsFileSaysHowToGiveIt) {
  auto b = ReluModel();
  auto* w = b.graph()->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(4);
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* entry = w->add_external_data();
  entry->set_key("location");
  entry->set_value("weights.bin");
  auto m = Load(b.Bytes());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(),
            "bad.onnx: initializer 'w' keeps its data in the external file 'weights.bin'; load the model together with "
            "that file (the CLI reads it from the model's folder, the page and loadModel(bytes, files) take it beside the model)");
}

TEST(LoaderErrors, DanglingInput) {
  auto b = ReluModel();
  b.Node("Add", {"y", "ghost"}, {"z"}, "add1");
  auto m = Load(b.Bytes());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(),
            "bad.onnx: node 'add1' (Add) reads 'ghost', which no node, graph input or initializer produces");
}

TEST(LoaderErrors, Cycle) {
  ModelBuilder b;
  b.Input("x", {1}).Output("b");
  b.Node("Add", {"x", "b"}, {"a"}, "first");
  b.Node("Relu", {"a"}, {"b"}, "second");
  auto m = Load(b.Bytes());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(),
            "bad.onnx: graph 'test' has a cycle through 2 nodes: node 'first' (Add), node 'second' (Relu)");
}

TEST(LoaderErrors, RawDataOfWrongSize) {
  auto b = ReluModel();
  auto* w = b.graph()->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(4);
  w->set_raw_data(std::string(10, '\0'));
  auto m = Load(b.Bytes());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(),
            "bad.onnx: initializer 'w' of shape [4] and type float32 needs 16 bytes of raw_data but has 10");
}

TEST(LoaderErrors, WrongInputShapeAtRun) {
  auto m = Load(ReluModel().Bytes());
  ASSERT_TRUE(m.ok());
  auto s = Session::Create(*m);
  ASSERT_TRUE(s.ok());
  auto out = s->Run({{"x", Tensor(DataType::kInt64, {2, 4})}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "input 'x' expects float32 [1, 4] but got int64 [2, 4]");
  out = s->Run({});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "missing input 'x' (float32 [1, 4])");
  out = s->Run({{"x", Tensor(DataType::kFloat, {1, 4})}, {"extra", Tensor(DataType::kFloat, {1})}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "unknown input 'extra'; the model's inputs are 'x'");
}

TEST(LoaderErrors, KernelErrorNamesNode) {
  ModelBuilder b;
  b.Input("a", {2, 3}).Input("b", {4, 5}).Output("c");
  b.Node("MatMul", {"a", "b"}, {"c"}, "mm");
  auto m = Load(b.Bytes());
  ASSERT_TRUE(m.ok());
  auto out = Session::Create(*m)->Run({{"a", Tensor(DataType::kFloat, {2, 3})}, {"b", Tensor(DataType::kFloat, {4, 5})}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "node 'mm' (MatMul): MatMul shapes [2, 3] and [4, 5] disagree on the inner dimension (3 vs 4)");
}

}  // namespace
}  // namespace qplay
