#include <gtest/gtest.h>

#include <cmath>

#include "analysis/metrics.h"

namespace qplay {
namespace {

TEST(Metrics, ErrorMetricsByHand) {
  ErrorAccumulator acc;
  ASSERT_TRUE(acc.Add(Tensor::FromVector<float>({4}, {1, 2, 3, 4}), Tensor::FromVector<float>({4}, {1, 2, 3, 5})).ok());
  ErrorMetrics m = acc.Result();
  EXPECT_EQ(m.count, 4);
  EXPECT_DOUBLE_EQ(m.mse, 0.25);
  EXPECT_DOUBLE_EQ(m.max_abs, 1.0);
  EXPECT_NEAR(m.sqnr_db, 10 * std::log10(30.0 / 1.0), 1e-12);
  EXPECT_NEAR(m.cosine, 34.0 / (std::sqrt(30.0) * std::sqrt(39.0)), 1e-12);
}

TEST(Metrics, AccumulatesOverBatchesLikeOneBatch) {
  ErrorAccumulator split, whole;
  ASSERT_TRUE(split.Add(Tensor::FromVector<float>({2}, {1, 2}), Tensor::FromVector<float>({2}, {1, 2})).ok());
  ASSERT_TRUE(split.Add(Tensor::FromVector<float>({2}, {3, 4}), Tensor::FromVector<float>({2}, {3, 5})).ok());
  ASSERT_TRUE(whole.Add(Tensor::FromVector<float>({4}, {1, 2, 3, 4}), Tensor::FromVector<float>({4}, {1, 2, 3, 5})).ok());
  EXPECT_DOUBLE_EQ(split.Result().sqnr_db, whole.Result().sqnr_db);
  EXPECT_DOUBLE_EQ(split.Result().cosine, whole.Result().cosine);
}

TEST(Metrics, IdenticalOutputsHaveInfiniteSqnrAndCosineOne) {
  ErrorAccumulator acc;
  Tensor t = Tensor::FromVector<float>({3}, {0.5f, -1, 2});
  ASSERT_TRUE(acc.Add(t, t).ok());
  EXPECT_TRUE(std::isinf(acc.Result().sqnr_db));
  EXPECT_DOUBLE_EQ(acc.Result().cosine, 1.0);
  EXPECT_EQ(acc.Result().max_abs, 0.0);
}

TEST(Metrics, ShapeMismatchIsAnError) {
  ErrorAccumulator acc;
  Status s = acc.Add(Tensor(DataType::kFloat, {2}), Tensor(DataType::kFloat, {3}));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "cannot compare shapes [2] and [3]");
}

TEST(Metrics, ClassificationAccuracyAgreementAndDisagreements) {
  ClassificationMetrics m;
  Tensor ref = Tensor::FromVector<float>({3, 2}, {0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f});  // 0, 1, 0
  Tensor test = Tensor::FromVector<float>({3, 2}, {0.7f, 0.3f, 0.6f, 0.4f, 0.1f, 0.9f});  // 0, 0, 1
  Tensor labels = Tensor::FromVector<int64_t>({3}, {0, 1, 1});
  ASSERT_TRUE(AddClassificationBatch(m, ref, test, &labels).ok());
  EXPECT_EQ(m.samples, 3);
  EXPECT_DOUBLE_EQ(m.reference_accuracy(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(m.test_accuracy(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(m.agreement(), 1.0 / 3);
  ASSERT_EQ(m.disagreements.size(), 2u);
  EXPECT_EQ(m.disagreements[1].sample, 2);
  EXPECT_EQ(m.disagreements[1].reference, 0);
  EXPECT_EQ(m.disagreements[1].test, 1);
  ASSERT_TRUE(AddClassificationBatch(m, test, ref, nullptr).ok());
  EXPECT_EQ(m.disagreements[2].sample, 4) << "indices continue across batches";
  Tensor two_labels = Tensor::FromVector<int64_t>({2}, {0, 1});
  Status bad = AddClassificationBatch(m, ref, test, &two_labels);
  EXPECT_EQ(bad.message(), "2 labels for 3 samples");
}

TEST(Metrics, LabelsMustNameAClass) {
  const Tensor logits = Tensor::FromVector<float>({2, 3}, {1, 0, 0, 0, 1, 0});
  ClassificationMetrics m;
  m.samples = 40;  // a second batch: samples are numbered within the whole set
  const Tensor out_of_range = Tensor::FromVector<int64_t>({2}, {0, 3});
  EXPECT_EQ(AddClassificationBatch(m, logits, logits, &out_of_range).message(),
            "label 3 of sample 41 is not one of the model's 3 classes (0 to 2)");
  const Tensor fraction = Tensor::FromVector<float>({2}, {2.5f, 1});
  EXPECT_EQ(AddClassificationBatch(m, logits, logits, &fraction).message(), "label 2.5 of sample 40 is not a whole number");
  const Tensor negative = Tensor::FromVector<int32_t>({2}, {-1, 1});
  EXPECT_EQ(AddClassificationBatch(m, logits, logits, &negative).message(),
            "label -1 of sample 40 is not one of the model's 3 classes (0 to 2)");
  const Tensor whole = Tensor::FromVector<float>({2}, {2, 1});
  EXPECT_TRUE(AddClassificationBatch(m, logits, logits, &whole).ok());
}

}  // namespace
}  // namespace qplay
