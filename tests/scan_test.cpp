// Scan: the errors a malformed one gets. Its results are checked by ONNX's conformance test
// (test_scan9_sum) and against onnxruntime-node in wasm-tests/wasm/zoo-coverage.test.mjs
// (scan_running_sum_op16: two scan inputs along different axes, reversed directions).
#include <gtest/gtest.h>

#include "model_builder.h"
#include "onnx/model.h"
#include "runtime/session.h"

namespace qplay {
namespace {

// Scan over a [2] state and scan inputs a [3, 2] and b [`b_steps`, 2]; the body adds a step of
// each to the state and returns the new state as its scan output too.
std::string RunScan(int64_t b_steps, std::vector<int64_t> output_axes = {}) {
  testing::ModelBuilder b(16);
  b.Input("state", {2}).Input("a", {3, 2}).Input("b", {b_steps, 2}).Output("final").Output("all");
  auto* scan = b.Node("Scan", {"state", "a", "b"}, {"final", "all"}, "scan");
  testing::SetInt(scan, "num_scan_inputs", 2);
  if (!output_axes.empty()) testing::SetInts(scan, "scan_output_axes", output_axes);
  onnx::GraphProto* body = testing::SetGraph(scan, "body");
  for (const char* name : {"s", "x", "y"}) {
    auto* in = body->add_input();
    in->set_name(name);
    in->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  }
  for (const char* name : {"s2", "s3"}) body->add_output()->set_name(name);
  for (auto [inputs, output] : {std::pair<std::vector<std::string>, std::string>{{"s", "x"}, "sx"}, {{"sx", "y"}, "s2"}, {{"s2"}, "s3"}}) {
    auto* n = body->add_node();
    n->set_op_type(inputs.size() == 2 ? "Add" : "Identity");
    for (const auto& i : inputs) n->add_input(i);
    n->add_output(output);
  }
  const std::string bytes = b.Bytes();
  auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "scan.onnx");
  if (!model.ok()) return model.status().message();
  auto session = Session::Create(*model);
  if (!session.ok()) return session.status().message();
  auto ones = [](Shape shape) {
    Tensor t(DataType::kFloat, shape);
    for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = 1;
    return t;
  };
  auto out = session->Run({{"state", ones({2})}, {"a", ones({3, 2})}, {"b", ones({b_steps, 2})}});
  if (!out.ok()) return out.status().message();
  return ShapeToString(out->at("all").shape()) + " " + std::to_string(out->at("final").data<float>()[0]);
}

TEST(Scan, StacksEachStepAndCarriesTheState) {
  EXPECT_EQ(RunScan(3), "[3, 2] 7.000000");
  EXPECT_EQ(RunScan(3, {1}), "[2, 3] 7.000000");
}

TEST(Scan, MalformedScansNameWhatIsWrong) {
  EXPECT_EQ(RunScan(4), "node 'scan' (Scan): scan input 1 has 4 steps along axis 0; scan input 0 has 3");
  EXPECT_EQ(RunScan(3, {2}), "node 'scan' (Scan): scan_output_axes[0] is 2, outside rank 2");
}

}  // namespace
}  // namespace qplay
