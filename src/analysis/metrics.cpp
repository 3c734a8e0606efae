#include "analysis/metrics.h"

#include <cmath>
#include <limits>

#include "data/labels.h"

namespace qplay {

Status ErrorAccumulator::Add(const Tensor& reference, const Tensor& test) {
  if (reference.dtype() != DataType::kFloat || test.dtype() != DataType::kFloat)
    return Fail(StatusCode::kInvalidArgument, "metrics compare float32 tensors, got ", DataTypeName(reference.dtype()),
                " and ", DataTypeName(test.dtype()));
  if (reference.shape() != test.shape())
    return Fail(StatusCode::kInvalidArgument, "cannot compare shapes ", ShapeToString(reference.shape()), " and ",
                ShapeToString(test.shape()));
  const float *r = reference.data<float>(), *t = test.data<float>();
  for (int64_t i = 0; i < reference.size(); ++i) {
    const double a = r[i], b = t[i], d = a - b;
    signal_ += a * a;
    noise_ += d * d;
    dot_ += a * b;
    ref_norm_ += a * a;
    test_norm_ += b * b;
    max_abs_ = std::max(max_abs_, std::abs(d));
  }
  count_ += reference.size();
  return Status::Ok();
}

ErrorMetrics ErrorAccumulator::Result() const {
  ErrorMetrics m;
  m.count = count_;
  if (count_ == 0) return m;
  m.mse = noise_ / static_cast<double>(count_);
  m.max_abs = max_abs_;
  m.sqnr_db = noise_ == 0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(signal_ / noise_);
  const double norms = std::sqrt(ref_norm_) * std::sqrt(test_norm_);
  m.cosine = norms == 0 ? (ref_norm_ == test_norm_ ? 1.0 : 0.0) : dot_ / norms;
  return m;
}

int64_t ArgMaxRow(const Tensor& logits, int64_t row) {
  const int64_t classes = logits.dim(logits.rank() - 1);
  const float* p = logits.data<float>() + row * classes;
  int64_t best = 0;
  for (int64_t c = 1; c < classes; ++c)
    if (p[c] > p[best]) best = c;
  return best;
}

Status AddClassificationBatch(ClassificationMetrics& m, const Tensor& reference_logits, const Tensor& test_logits,
                              const Tensor* labels) {
  if (reference_logits.rank() != 2 || reference_logits.shape() != test_logits.shape() ||
      reference_logits.dtype() != DataType::kFloat || test_logits.dtype() != DataType::kFloat)
    return Fail(StatusCode::kInvalidArgument, "classification metrics need float32 logits [N, classes] of equal shape, got ",
                ShapeToString(reference_logits.shape()), " and ", ShapeToString(test_logits.shape()));
  const int64_t n = reference_logits.dim(0);
  if (labels && labels->size() != n)
    return Fail(StatusCode::kInvalidArgument, labels->size(), " labels for ", n, " samples");
  if (labels) QPLAY_RETURN_IF_ERROR(CheckClassLabels(*labels, reference_logits.dim(1), m.samples));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t a = ArgMaxRow(reference_logits, i), b = ArgMaxRow(test_logits, i);
    m.agreeing += a == b;
    if (a != b) m.disagreements.push_back({m.samples + i, a, b});
    if (labels) {
      const int64_t label = labels->GetAsInt64(i);
      m.reference_correct += a == label;
      m.test_correct += b == label;
    }
  }
  m.samples += n;
  return Status::Ok();
}

}  // namespace qplay
