// The op schema registry: every kernel has a schema entry and every entry a kernel, nodes
// are checked against their entry when a model loads, and each failure names the node, the
// attribute or input, and what was expected.
#include <gtest/gtest.h>

#include "kernels/registry.h"
#include "onnx/model.h"
#include "ops/schema.h"

namespace qplay {
namespace {

std::string Key(const std::string& domain, const std::string& op) { return domain.empty() ? op : domain + "." + op; }

TEST(OpSchemas, EveryKernelHasASchemaAndEverySchemaAKernel) {
  const auto& schemas = SchemaRegistry::Get();
  const auto& kernels = KernelRegistry::Get();
  std::set<std::string> with_schema;
  for (const OpSchema* s : schemas.All()) {
    with_schema.insert(Key(s->domain(), s->op_type()));
    EXPECT_TRUE(kernels.Find(s->domain(), s->op_type())) << s->Describe() << " has no reference kernel";
    EXPECT_TRUE(s->infer()) << s->Describe() << " has no shape inference";
    EXPECT_LE(s->since(), s->until()) << s->Describe();
  }
  for (const std::string& op : kernels.OpTypes()) EXPECT_TRUE(with_schema.count(op)) << op << " has a kernel but no schema";
}

TEST(OpSchemas, VersionsFollowEachOther) {
  const auto& r = SchemaRegistry::Get();
  EXPECT_EQ(r.Find("", "Split", 11)->since(), 1);
  EXPECT_EQ(r.Find("", "Split", 13)->since(), 13);
  EXPECT_EQ(r.Find("", "Split", 17)->since(), 13);
  EXPECT_EQ(r.Find("", "Split", 18)->since(), 18);
  EXPECT_EQ(r.Find("", "Gelu", 17), nullptr);
  EXPECT_EQ(r.Find("", "LayerNormalization", 16)->since(), 1);  // ONNX Runtime's own op before ONNX 17 defined it
  EXPECT_NE(r.Find("com.microsoft", "QGemm", 1), nullptr);
}

TEST(OpSchemas, DefaultsAreReadable) {
  const OpSchema* conv = SchemaRegistry::Get().Find("", "Conv", 17);
  Node node;
  node.op_type = "Conv";
  EXPECT_EQ(conv->AttrOrDefault(node, "group")->i, 1);
  EXPECT_EQ(conv->AttrOrDefault(node, "auto_pad")->s, "NOTSET");
  EXPECT_EQ(conv->AttrOrDefault(node, "strides"), nullptr);
  EXPECT_EQ(conv->quant().weight_input, 1);
  EXPECT_EQ(conv->quant().bias_input, 2);
  EXPECT_TRUE(SchemaRegistry::Get().Find("", "Reshape", 17)->quant().shares_input_params);
  EXPECT_EQ(SchemaRegistry::Get().Find("", "Sigmoid", 17)->quant().output_range, (std::pair{0.0f, 1.0f}));
  EXPECT_TRUE(SchemaRegistry::Get().Find("", "MatMul", 17)->GradientReaches(1));
  EXPECT_TRUE(SchemaRegistry::Get().Find("", "Conv", 17)->GradientReaches(2));
  EXPECT_FALSE(SchemaRegistry::Get().Find("", "Gather", 17)->GradientReaches(1));  // indices
  EXPECT_TRUE(SchemaRegistry::Get().Find("", "Shape", 17)->NeedsNoGradient());
}

TEST(OpSchemas, VariadicListsOfMixedTypesAreNotBoundToOneType) {
  Node concat;
  concat.name = "c";
  concat.op_type = "QLinearConcat";
  concat.domain = "com.microsoft";
  concat.inputs = {"ys", "yz", "a", "as", "az", "b", "bs", "bz"};
  concat.outputs = {"y"};
  concat.attributes["axis"] = Attribute::Int(1);
  const auto f = ValueInfo::Typed(DataType::kFloat), u8 = ValueInfo::Typed(DataType::kUint8);
  const OpSchema* schema = SchemaRegistry::Get().Find("com.microsoft", "QLinearConcat", 1);
  EXPECT_TRUE(schema->Validate(concat, {f, u8, u8, f, u8, u8, f, u8}).ok());
  EXPECT_EQ(schema->Validate(concat, {f, f, u8, f, u8, u8, f, u8}).message(),
            "node 'c' (com.microsoft.QLinearConcat): input 1 ('yz') is float32; QLinearConcat takes int8, uint8 there");
}

// A one-node model: x [1, 2, 4, 4] float -> op -> y, with the node given by `edit`.
std::string LoadError(const std::string& op, const std::function<void(Node&)>& edit, int64_t opset = 17,
                      std::vector<std::string> inputs = {"x"}) {
  Model model;
  model.opsets[""] = opset;
  model.graph.inputs = {"x"};
  model.graph.value_types["x"] = {DataType::kFloat, Dims{Dim::Known(1), Dim::Known(2), Dim::Known(4), Dim::Known(4)}, true};
  Node node;
  node.name = "n";
  node.op_type = op;
  node.inputs = std::move(inputs);
  node.outputs = {"y"};
  edit(node);
  model.graph.nodes.push_back(node);
  model.graph.outputs = {"y"};
  auto bytes = ExportModel(model);
  if (!bytes.ok()) return "export: " + bytes.status().message();
  auto loaded = LoadModel(bytes->data(), bytes->size(), "m.onnx");
  return loaded.ok() ? "" : loaded.status().message();
}

TEST(OpSchemas, LoadRefusesNodesThatBreakTheirSchemaByName) {
  auto ints = [](std::vector<int64_t> v) { return Attribute::Ints(std::move(v)); };
  EXPECT_EQ(LoadError("Transpose", [&](Node& n) { n.attributes["perm"] = ints({0, 0, 1, 2}); }),
            "m.onnx: node 'n' (Transpose): attribute 'perm' must be a permutation of 0..3; got [0, 0, 1, 2]");
  EXPECT_EQ(LoadError("MaxPool", [&](Node& n) {
              n.attributes["kernel_shape"] = ints({2, 2});
              n.attributes["strides"] = ints({0, 1});
            }),
            "m.onnx: node 'n' (MaxPool): attribute 'strides' must be each value >= 1; got [0, 1]");
  EXPECT_EQ(LoadError("Softmax", [&](Node& n) { n.attributes["axis"] = Attribute::Int(4); }),
            "m.onnx: node 'n' (Softmax): attribute 'axis' must be an axis in [-4, 3]; got 4");
  EXPECT_EQ(LoadError("DepthToSpace", [&](Node& n) { n.attributes["blocksize"] = Attribute::Int(0); }),
            "m.onnx: node 'n' (DepthToSpace): attribute 'blocksize' must be >= 1; got 0");
  EXPECT_EQ(LoadError("DepthToSpace", [&](Node&) {}), "m.onnx: node 'n' (DepthToSpace): required attribute 'blocksize' is missing");
  EXPECT_EQ(LoadError("Relu", [&](Node& n) { n.attributes["alpha"] = Attribute::Float(1); }),
            "m.onnx: node 'n' (Relu): Relu (ai.onnx 1-22) has no attribute 'alpha' (it takes none)");
  EXPECT_EQ(LoadError("Flatten", [&](Node& n) { n.attributes["axis"] = Attribute::String("1"); }),
            "m.onnx: node 'n' (Flatten): attribute 'axis' must be int; got string");
  EXPECT_EQ(LoadError("Add", [&](Node&) {}), "m.onnx: node 'n' (Add): required input 1 ('B') is missing");
  EXPECT_EQ(LoadError("Relu", [&](Node& n) { n.inputs.push_back("x"); }),
            "m.onnx: node 'n' (Relu): Relu takes at most 1 inputs; got 2");
  EXPECT_EQ(LoadError("Not", [&](Node&) {}), "m.onnx: node 'n' (Not): input 0 ('x') is float32; Not takes bool there");
  EXPECT_EQ(LoadError("Unsqueeze", [&](Node& n) { n.attributes["axes"] = ints({0, 0}); }, 11),
            "m.onnx: node 'n' (Unsqueeze): attribute 'axes' must be axes without repeats; got [0, 0]");
  EXPECT_EQ(LoadError("Gelu", [&](Node& n) { n.attributes["approximate"] = Attribute::String("fast"); }, 20),
            "m.onnx: node 'n' (Gelu): attribute 'approximate' must be one of none, tanh; got 'fast'");
  EXPECT_EQ(LoadError("Relu", [&](Node&) {}), "");
}

}  // namespace
}  // namespace qplay
