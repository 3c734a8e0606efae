// Quantization-aware training's layers: every backward pass against central finite
// differences of its forward pass, on small random tensors with odd shapes, strides, padding
// and groups; fake quantization's straight-through gradient; the softmax cross-entropy.
#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "train/op_grads.h"
#include "train/layers.h"

namespace qplay::train {
namespace {

Tensor Random(Shape shape, uint32_t seed) {
  Tensor t(DataType::kFloat, shape);
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1, 1);
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = dist(gen);
  return t;
}

// L = sum(forward(x) * r): its gradient with respect to forward's output is r.
double Loss(const Tensor& y, const Tensor& r) {
  double l = 0;
  for (int64_t i = 0; i < y.size(); ++i) l += static_cast<double>(y.data<float>()[i]) * r.data<float>()[i];
  return l;
}

// Every element of `analytic` against (L(v + h) - L(v - h)) / 2h, perturbing `v` in place.
void ExpectMatchesFiniteDifferences(Tensor& v, const Tensor& analytic, const std::function<double()>& loss, const char* what) {
  constexpr float h = 1e-2f;
  for (int64_t i = 0; i < v.size(); ++i) {
    const float saved = v.data<float>()[i];
    v.data<float>()[i] = saved + h;
    const double up = loss();
    v.data<float>()[i] = saved - h;
    const double down = loss();
    v.data<float>()[i] = saved;
    EXPECT_NEAR(analytic.data<float>()[i], (up - down) / (2 * h), 2e-3) << what << " element " << i;
  }
}

// Output 0 of the runtime's reference kernel: the forward passes training runs (through their
// fast twins).
Tensor Reference(const Node& node, std::vector<const Tensor*> inputs) {
  auto outputs = RunKernel(node, 17, std::move(inputs));
  EXPECT_TRUE(outputs.ok()) << node.op_type << ": " << outputs.status().message();
  return outputs.ok() ? (*outputs)[0] : Tensor();
}

Tensor Reference(const std::string& op_type, std::vector<const Tensor*> inputs) {
  Node node;
  node.name = node.op_type = op_type;
  node.outputs = {"y"};
  return Reference(node, std::move(inputs));
}

Node ConvNode(std::vector<int64_t> strides, std::vector<int64_t> pads, int64_t group, std::vector<int64_t> dilations = {1, 1}) {
  Node n;
  n.name = "conv";
  n.op_type = "Conv";
  n.outputs = {"y"};
  n.attributes["strides"] = Attribute::Ints(strides);
  n.attributes["pads"] = Attribute::Ints(pads);
  n.attributes["dilations"] = Attribute::Ints(dilations);
  n.attributes["group"] = Attribute::Int(group);
  return n;
}

TEST(TrainLayers, ConvGradientsMatchFiniteDifferences) {
  struct Case {
    Node node;
    Shape x, w;
  };
  for (const Case& c : {Case{ConvNode({1, 1}, {1, 1, 1, 1}, 1), {2, 3, 5, 4}, {4, 3, 3, 3}},
                        Case{ConvNode({2, 1}, {0, 1, 1, 0}, 1, {1, 2}), {1, 2, 6, 5}, {3, 2, 2, 2}},
                        Case{ConvNode({1, 1}, {1, 1, 1, 1}, 4), {1, 4, 4, 4}, {4, 1, 3, 3}},      // depthwise
                        Case{ConvNode({1, 1}, {0, 0, 0, 0}, 2), {2, 4, 3, 3}, {6, 2, 1, 1}}}) {  // grouped pointwise
    Tensor x = Random(c.x, 1), w = Random(c.w, 2), b = Random({c.w[0]}, 3);
    const Tensor r = Random(Reference(c.node, {&x, &w, &b}).shape(), 4);
    auto grads = ConvBackward(c.node, x, w, true, r);
    ASSERT_TRUE(grads.ok());
    auto loss = [&] { return Loss(Reference(c.node, {&x, &w, &b}), r); };
    ExpectMatchesFiniteDifferences(x, grads->dx, loss, "dx");
    ExpectMatchesFiniteDifferences(w, grads->dw, loss, "dw");
    ExpectMatchesFiniteDifferences(b, grads->db, loss, "db");
  }
}

TEST(TrainLayers, GemmGradientsMatchFiniteDifferences) {
  for (int64_t trans_b : {0, 1}) {
    Node node;
    node.name = "fc";
    node.op_type = "Gemm";
    node.attributes["transB"] = Attribute::Int(trans_b);
    Tensor x = Random({3, 5}, 5), w = Random(trans_b ? Shape{4, 5} : Shape{5, 4}, 6), b = Random({4}, 7);
    const Tensor r = Random({3, 4}, 8);
    const GemmGrads g = GemmBackward(node, x, w, true, r);
    auto loss = [&] { return Loss(GemmForward(node, x, w, b).value(), r); };
    ExpectMatchesFiniteDifferences(x, g.dx, loss, "dx");
    ExpectMatchesFiniteDifferences(w, g.dw, loss, "dw");
    ExpectMatchesFiniteDifferences(b, g.db, loss, "db");
  }
}

// Distinct values 0.05 apart (a permutation), so no step of the finite differences crosses a
// kink of max or clamp.
Tensor Spread(Shape shape, float offset) {
  Tensor t(DataType::kFloat, shape);
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = static_cast<float>((i * 37) % t.size()) * 0.05f + offset;
  return t;
}

TEST(TrainLayers, PoolingAndClampGradientsMatchFiniteDifferences) {
  Node pool;
  pool.name = "pool";
  pool.op_type = "MaxPool";
  pool.attributes["kernel_shape"] = Attribute::Ints({2, 2});
  pool.attributes["strides"] = Attribute::Ints({2, 2});
  Tensor x = Spread({2, 3, 5, 4}, -2.987f);  // 120 values; no value within 0.013 of 0 or 0.5
  const Tensor r = Random({2, 3, 2, 2}, 10);
  std::vector<int64_t> argmax;
  ASSERT_TRUE(MaxPoolForward(pool, x, argmax).ok());
  const Tensor dmax = MaxPoolBackward(x, argmax, r);
  ExpectMatchesFiniteDifferences(x, dmax, [&] { std::vector<int64_t> a; return Loss(MaxPoolForward(pool, x, a).value(), r); }, "maxpool dx");

  const Tensor rg = Random({2, 3, 1, 1}, 11);
  ExpectMatchesFiniteDifferences(x, GlobalAveragePoolBackward(x, rg), [&] { return Loss(Reference("GlobalAveragePool", {&x}), rg); },
                                 "gap dx");

  // AveragePool with padding, ceil_mode and each divisor, against the runtime's own kernel.
  for (int64_t count_pad : {0, 1}) {
    Node avg = pool;
    avg.op_type = "AveragePool";
    avg.outputs = {"y"};
    avg.attributes["kernel_shape"] = Attribute::Ints({3, 2});
    avg.attributes["pads"] = Attribute::Ints({1, 0, 1, 1});
    avg.attributes["ceil_mode"] = Attribute::Int(1);
    avg.attributes["count_include_pad"] = Attribute::Int(count_pad);
    auto forward = [&] { return Reference(avg, {&x}); };
    const Tensor ra = Random(forward().shape(), 13);
    auto davg = AveragePoolBackward(avg, x, ra);
    ASSERT_TRUE(davg.ok()) << davg.status().message();
    ExpectMatchesFiniteDifferences(x, *davg, [&] { return Loss(forward(), ra); }, count_pad ? "avgpool dx, padding counted" : "avgpool dx");
  }

  const Tensor rc = Random(x.shape(), 12);
  const Tensor lo = Tensor::Scalar<float>(0.0f), hi = Tensor::Scalar<float>(0.5f);
  ExpectMatchesFiniteDifferences(x, ClampBackward(x, 0.0f, 0.5f, rc), [&] { return Loss(Reference("Clip", {&x, &lo, &hi}), rc); },
                                 "clamp dx");
}

TEST(TrainLayers, FakeQuantRoundsToTheGridAndPassesTheGradientStraightThroughInsideTheRange) {
  const FakeQuant q{0.5f, 0, -4, 3};  // representable: -2.0 ... 1.5 in steps of 0.5
  const Tensor x = Tensor::FromVector<float>({5}, {-3.0f, -0.26f, 0.25f, 0.74f, 2.0f});
  const Tensor y = FakeQuantForward(x, q);
  EXPECT_EQ(std::vector<float>(y.data<float>(), y.data<float>() + 5), (std::vector<float>{-2.0f, -0.5f, 0.0f, 0.5f, 1.5f}));
  const Tensor dx = FakeQuantBackward(x, q, Tensor::FromVector<float>({5}, {1, 1, 1, 1, 1}));
  EXPECT_EQ(std::vector<float>(dx.data<float>(), dx.data<float>() + 5), (std::vector<float>{0, 1, 1, 1, 0}));  // clipped ends get none
}

TEST(TrainLayers, TheLearnedStepSizeGradientIsLsqs) {
  // LSQ's estimator, by hand: round(x/s) - x/s inside the range, (clamped level - zero point)
  // outside. Scale 0.1, zero point 2, levels 0..15 (representable -0.2 ... 1.3).
  const FakeQuant q{0.1f, 2, 0, 15};
  const Tensor x = Tensor::FromVector<float>({6}, {-0.275f, 0.125f, 0.52f, 1.07f, 3.0f, -1.0f});
  const Tensor r = Tensor::FromVector<float>({6}, {0.3f, -0.7f, 0.5f, 0.9f, -0.4f, 0.6f});
  // -0.275 clips low (-2), 0.125: 1 - 1.25, 0.52: 5 - 5.2, 1.07: 11 - 10.7, 3.0 clips high (13), -1.0 clips low (-2).
  const double expected = 0.3 * -2 + -0.7 * -0.25 + 0.5 * -0.2 + 0.9 * 0.3 + -0.4 * 13 + 0.6 * -2;
  EXPECT_NEAR(FakeQuantScaleGrad(x, q, r), expected, 1e-5);
}

TEST(TrainLayers, SoftmaxCrossEntropyGradientMatchesFiniteDifferences) {
  Tensor logits = Random({3, 4}, 13);
  const Tensor labels = Tensor::FromVector<int64_t>({3}, {0, 3, 1});
  Tensor grad;
  ASSERT_TRUE(SoftmaxCrossEntropy(logits, labels, grad).ok());
  Tensor scratch;
  ExpectMatchesFiniteDifferences(logits, grad, [&] { return SoftmaxCrossEntropy(logits, labels, scratch).value(); }, "dlogits");
  const Tensor bad = Tensor::FromVector<int64_t>({3}, {0, 7, 1});
  EXPECT_EQ(SoftmaxCrossEntropy(logits, bad, grad).status().message(), "label 7 of sample 1 is not one of the model's 4 classes (0 to 3)");
}

}  // namespace
}  // namespace qplay::train
