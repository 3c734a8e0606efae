// op_grads.h against central finite differences of each op's own reference kernel: for
// L = sum(op(inputs) * r), the gradient OpGradients returns for dy = r must match
// (L(v + h) - L(v - h)) / 2h for every element of every float input, with broadcasting,
// batched MatMul, odd shapes and the ops that move elements.
#include <gtest/gtest.h>

#include <random>

#include "ops/schema.h"
#include "train/op_grads.h"

namespace qplay::train {
namespace {

Tensor Random(Shape shape, uint32_t seed, float lo = -1, float hi = 1) {
  Tensor t(DataType::kFloat, shape);
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = dist(gen);
  return t;
}

Tensor Ints(std::vector<int64_t> values) { return Tensor::FromVector<int64_t>({static_cast<int64_t>(values.size())}, values); }

Node MakeNode(const std::string& op_type, size_t inputs, std::map<std::string, Attribute> attributes = {}) {
  Node n;
  n.name = op_type;
  n.op_type = op_type;
  for (size_t i = 0; i < inputs; ++i) n.inputs.push_back("in" + std::to_string(i));
  n.outputs = {"out"};
  n.attributes = std::move(attributes);
  return n;
}

Tensor Forward(const Node& node, int64_t opset, const std::vector<Tensor>& inputs) {
  std::vector<const Tensor*> pointers;
  for (const Tensor& t : inputs) pointers.push_back(t.empty() ? nullptr : &t);
  auto outputs = RunKernel(node, opset, pointers);
  EXPECT_TRUE(outputs.ok()) << node.op_type << ": " << outputs.status().message();
  return outputs.ok() ? (*outputs)[0] : Tensor();
}

double Loss(const Tensor& y, const Tensor& r) {
  double l = 0;
  for (int64_t i = 0; i < y.size(); ++i) l += static_cast<double>(y.data<float>()[i]) * r.data<float>()[i];
  return l;
}

// Checks every float input's gradient; integer inputs (indices, shapes) must take none.
void ExpectGradients(const Node& node, std::vector<Tensor> inputs, const std::string& what, int64_t opset = 17) {
  const Tensor y = Forward(node, opset, inputs);
  const Tensor r = Random(y.shape(), 99);
  std::vector<const Tensor*> pointers;
  for (const Tensor& t : inputs) pointers.push_back(t.empty() ? nullptr : &t);
  auto grads = OpGradients({node, opset, pointers, y, r});
  ASSERT_TRUE(grads.ok()) << what << ": " << grads.status().message();
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].empty()) continue;
    if (inputs[i].dtype() != DataType::kFloat) {
      EXPECT_TRUE((*grads)[i].empty()) << what << " input " << i;
      continue;
    }
    ASSERT_EQ((*grads)[i].shape(), inputs[i].shape()) << what << " input " << i;
    constexpr float h = 1e-2f;
    for (int64_t e = 0; e < inputs[i].size(); ++e) {
      float& v = inputs[i].data<float>()[e];
      const float saved = v;
      v = saved + h;
      const double up = Loss(Forward(node, opset, inputs), r);
      v = saved - h;
      const double down = Loss(Forward(node, opset, inputs), r);
      v = saved;
      EXPECT_NEAR((*grads)[i].data<float>()[e], (up - down) / (2 * h), 3e-3) << what << " input " << i << " element " << e;
    }
  }
}

TEST(TrainOps, BroadcastingArithmetic) {
  for (const std::string op : {"Add", "Sub", "Mul", "Div"})
    for (const auto& [a, b] : std::vector<std::pair<Shape, Shape>>{{{2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {4}}, {{1, 3, 1}, {2, 1, 5}}, {{2, 3}, {}}}) {
      Tensor divisor = Random(b, 2, 0.5f, 2.0f);  // away from zero for Div
      ExpectGradients(MakeNode(op, 2), {Random(a, 1), op == "Div" ? divisor : Random(b, 2)},
                      op + " " + ShapeToString(a) + " by " + ShapeToString(b));
    }
}

TEST(TrainOps, MatMulBatchedAndBroadcast) {
  for (const auto& [a, b] : std::vector<std::pair<Shape, Shape>>{{{3, 4}, {4, 5}}, {{2, 3, 4}, {4, 5}}, {{2, 2, 3, 4}, {2, 2, 4, 3}}, {{4}, {4, 3}},
                                                                   {{1, 3, 4}, {2, 4, 2}}})
    ExpectGradients(MakeNode("MatMul", 2), {Random(a, 3), Random(b, 4)}, "MatMul " + ShapeToString(a) + " x " + ShapeToString(b));
}

TEST(TrainOps, NormalizationSoftmaxAndActivations) {
  ExpectGradients(MakeNode("LayerNormalization", 3), {Random({2, 3, 6}, 5), Random({6}, 6), Random({6}, 7)}, "LayerNormalization");
  ExpectGradients(MakeNode("LayerNormalization", 2, {{"axis", Attribute::Int(1)}}), {Random({2, 3, 4}, 8), Random({3, 4}, 9)},
                  "LayerNormalization over two dims, no bias");
  ExpectGradients(MakeNode("Softmax", 1), {Random({2, 3, 5}, 10, -2, 2)}, "Softmax on the last axis");
  ExpectGradients(MakeNode("Softmax", 1, {{"axis", Attribute::Int(1)}}), {Random({2, 3, 5}, 11, -2, 2)}, "Softmax on a middle axis");
  ExpectGradients(MakeNode("Softmax", 1, {{"axis", Attribute::Int(1)}}), {Random({2, 3, 5}, 12, -2, 2)}, "Softmax at opset 11", 11);
  for (const std::string op : {"Erf", "Sigmoid", "Tanh"}) ExpectGradients(MakeNode(op, 1), {Random({3, 7}, 13, -2, 2)}, op);
  Tensor away_from_kinks = Random({20}, 14, -5, 5);
  for (int64_t i = 0; i < away_from_kinks.size(); ++i)
    if (std::abs(std::abs(away_from_kinks.data<float>()[i]) - 3) < 0.05f) away_from_kinks.data<float>()[i] = 1;
  ExpectGradients(MakeNode("HardSwish", 1), {away_from_kinks}, "HardSwish");
}

TEST(TrainOps, Reductions) {
  ExpectGradients(MakeNode("ReduceMean", 1, {{"axes", Attribute::Ints({1})}, {"keepdims", Attribute::Int(0)}}), {Random({2, 3, 4}, 15)},
                  "ReduceMean over axis 1", 13);
  ExpectGradients(MakeNode("ReduceMean", 1), {Random({2, 3}, 16)}, "ReduceMean over everything", 13);
  ExpectGradients(MakeNode("ReduceSum", 2), {Random({2, 3, 4}, 17), Ints({0, -1})}, "ReduceSum with axes as an input", 13);
}

TEST(TrainOps, OpsThatMoveElements) {
  ExpectGradients(MakeNode("Transpose", 1, {{"perm", Attribute::Ints({2, 0, 1})}}), {Random({2, 3, 4}, 18)}, "Transpose");
  ExpectGradients(MakeNode("Slice", 5), {Random({3, 8}, 19), Ints({1}), Ints({7}), Ints({1}), Ints({2})}, "Slice with a step");
  ExpectGradients(MakeNode("Gather", 2, {{"axis", Attribute::Int(1)}}), {Random({2, 4}, 20), Ints({3, 0, 3})}, "Gather repeating an index");
  ExpectGradients(MakeNode("Concat", 3, {{"axis", Attribute::Int(1)}}), {Random({2, 1, 3}, 21), Random({2, 2, 3}, 22), Random({2, 1, 3}, 23)},
                  "Concat");
  ExpectGradients(MakeNode("Expand", 2), {Random({3, 1}, 24), Ints({2, 3, 4})}, "Expand");
  ExpectGradients(MakeNode("Reshape", 2), {Random({2, 6}, 25), Ints({3, -1})}, "Reshape");
  ExpectGradients(MakeNode("Unsqueeze", 2), {Random({2, 3}, 26), Ints({1})}, "Unsqueeze", 13);
}

TEST(TrainOps, LstmThroughTime) {
  const int64_t steps = 4, batch = 2, input = 3, hidden = 2;
  for (const std::string direction : {"forward", "reverse", "bidirectional"}) {
    const int64_t dirs = direction == "bidirectional" ? 2 : 1;
    Node lstm = MakeNode("LSTM", 7, {{"hidden_size", Attribute::Int(hidden)}, {"direction", Attribute::String(direction)}});
    lstm.inputs[4] = "";  // no sequence_lens
    ExpectGradients(lstm,
                    {Random({steps, batch, input}, 27), Random({dirs, 4 * hidden, input}, 28), Random({dirs, 4 * hidden, hidden}, 29),
                     Random({dirs, 8 * hidden}, 30), Tensor(), Random({dirs, batch, hidden}, 31), Random({dirs, batch, hidden}, 32)},
                    "LSTM " + direction, 14);
  }
}

TEST(TrainOps, IntegerShapeArithmeticTakesNoGradient) {
  const Tensor a = Ints({2, 3}), b = Ints({4, 5});
  std::vector<const Tensor*> inputs{&a, &b};
  const Tensor y = Forward(MakeNode("Mul", 2), 13, {a, b});
  auto grads = OpGradients({MakeNode("Mul", 2), 13, inputs, y, y});
  ASSERT_TRUE(grads.ok());
  EXPECT_TRUE((*grads)[0].empty() && (*grads)[1].empty());
}

// Each op's schema says which inputs its gradient reaches; training differentiates exactly the
// ops whose schemas say so.
TEST(TrainOps, EveryOpWithAGradientInItsSchemaHasABackwardPass) {
  for (const OpSchema* schema : SchemaRegistry::Get().All()) {
    if (!schema->domain().empty()) continue;
    const Node node = MakeNode(schema->op_type(), 1);
    const bool latest = SchemaRegistry::Get().Latest("", schema->op_type()) == schema;
    if (latest) EXPECT_EQ(HasOpGradients(node), schema->HasGradient()) << schema->Describe();
  }
}

}  // namespace
}  // namespace qplay::train
