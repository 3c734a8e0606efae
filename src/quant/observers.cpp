#include "quant/observers.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qplay {
namespace {

FloatRange BatchRange(const float* v, int64_t n) {
  FloatRange r{std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()};
  for (int64_t i = 0; i < n; ++i) {
    r.min = std::min(r.min, v[i]);
    r.max = std::max(r.max, v[i]);
  }
  return r;
}

FloatRange Symmetrize(FloatRange r) {
  const float m = std::max(std::abs(r.min), std::abs(r.max));
  return {-m, m};
}

class MinMaxObserver : public Observer {
 public:
  explicit MinMaxObserver(bool symmetric) : symmetric_(symmetric) {}
  void Observe(const float* v, int64_t n) override {
    if (n == 0) return;
    FloatRange b = BatchRange(v, n);
    range_ = seen_ ? FloatRange{std::min(range_.min, b.min), std::max(range_.max, b.max)} : b;
    seen_ = true;
  }
  FloatRange Range() const override { return symmetric_ ? Symmetrize(range_) : range_; }
  size_t StateBytes() const override { return sizeof(*this); }

 private:
  bool symmetric_;
  bool seen_ = false;
  FloatRange range_;
};

// PyTorch's MovingAverageMinMaxObserver: the first batch sets the range, later batches move
// it by `constant` times the difference.
class MovingAverageObserver : public Observer {
 public:
  MovingAverageObserver(bool symmetric, double constant) : symmetric_(symmetric), constant_(constant) {}
  void Observe(const float* v, int64_t n) override {
    if (n == 0) return;
    FloatRange b = BatchRange(v, n);
    if (!seen_) {
      min_ = b.min, max_ = b.max, seen_ = true;
      return;
    }
    min_ += constant_ * (b.min - min_);
    max_ += constant_ * (b.max - max_);
  }
  FloatRange Range() const override {
    FloatRange r{static_cast<float>(min_), static_cast<float>(max_)};
    return symmetric_ ? Symmetrize(r) : r;
  }
  size_t StateBytes() const override { return sizeof(*this); }

 private:
  bool symmetric_;
  double constant_;
  bool seen_ = false;
  double min_ = 0, max_ = 0;
};

// Counts over [lo, hi) in equal bins. When a batch falls outside, the range widens to cover
// it and the existing counts are spread over the new bins in proportion to overlap.
class Histogram {
 public:
  explicit Histogram(int bins) : counts_(bins, 0.0) {}

  void Add(const float* v, int64_t n, bool absolute) {
    if (n == 0) return;
    FloatRange b = BatchRange(v, n);
    if (absolute) b = {0.0f, std::max(std::abs(b.min), std::abs(b.max))};
    Widen(b.min, b.max);
    const double width = hi_ - lo_;
    const int bins = static_cast<int>(counts_.size());
    for (int64_t i = 0; i < n; ++i) {
      const double x = absolute ? std::abs(v[i]) : v[i];
      int bin = width > 0 ? static_cast<int>((x - lo_) / width * bins) : 0;
      counts_[std::clamp(bin, 0, bins - 1)] += 1;
    }
    total_ += static_cast<double>(n);
  }

  const std::vector<double>& counts() const { return counts_; }
  double lo() const { return lo_; }
  double hi() const { return hi_; }
  double total() const { return total_; }
  double bin_width() const { return (hi_ - lo_) / static_cast<double>(counts_.size()); }
  double Edge(int i) const { return lo_ + bin_width() * i; }

 private:
  void Widen(double lo, double hi) {
    if (total_ == 0) {
      lo_ = lo, hi_ = hi;
      return;
    }
    if (lo >= lo_ && hi <= hi_) return;
    const double new_lo = std::min(lo, lo_), new_hi = std::max(hi, hi_);
    const int bins = static_cast<int>(counts_.size());
    std::vector<double> widened(bins, 0.0);
    const double old_width = (hi_ - lo_) / bins, new_width = (new_hi - new_lo) / bins;
    for (int i = 0; i < bins; ++i) {
      if (counts_[i] == 0) continue;
      if (old_width == 0) {  // everything so far was one value
        widened[std::clamp(static_cast<int>((lo_ - new_lo) / new_width), 0, bins - 1)] += counts_[i];
        continue;
      }
      const double a = lo_ + i * old_width, b = a + old_width;
      int j = std::clamp(static_cast<int>((a - new_lo) / new_width), 0, bins - 1);
      for (; j < bins; ++j) {
        const double c = new_lo + j * new_width, d = c + new_width;
        const double overlap = std::min(b, d) - std::max(a, c);
        if (overlap > 0) widened[j] += counts_[i] * overlap / old_width;
        if (d >= b) break;
      }
    }
    counts_.swap(widened);
    lo_ = new_lo, hi_ = new_hi;
  }

  std::vector<double> counts_;
  double lo_ = 0, hi_ = 0, total_ = 0;
};

// Percentile, as ONNX Runtime: symmetric uses |x| and keeps `percentile`% of the mass;
// asymmetric cuts (100 - percentile) / 2 % from each side.
class PercentileObserver : public Observer {
 public:
  explicit PercentileObserver(const ObserverOptions& o) : options_(o), histogram_(o.bins) {}
  void Observe(const float* v, int64_t n) override { histogram_.Add(v, n, options_.symmetric); }
  FloatRange Range() const override {
    if (histogram_.total() == 0) return {};
    const auto& c = histogram_.counts();
    auto edge_where_cdf_reaches = [&](double fraction) {
      double cdf = 0;
      for (size_t i = 0; i < c.size(); ++i) {
        cdf += c[i] / histogram_.total();
        if (cdf >= fraction) return static_cast<int>(i);
      }
      return static_cast<int>(c.size()) - 1;
    };
    if (options_.symmetric) {
      const float t = static_cast<float>(histogram_.Edge(edge_where_cdf_reaches(options_.percentile / 100) + 1));
      return {-t, t};
    }
    const double cut = (100.0 - options_.percentile) / 200.0;
    return {static_cast<float>(histogram_.Edge(edge_where_cdf_reaches(cut))),
            static_cast<float>(histogram_.Edge(edge_where_cdf_reaches(1.0 - cut) + 1))};
  }
  size_t StateBytes() const override { return sizeof(*this) + histogram_.counts().size() * sizeof(double); }

 private:
  ObserverOptions options_;
  Histogram histogram_;
};

// Entropy calibration (TensorRT's KL method): for each candidate threshold, compare the
// clipped histogram with its quantization to the available levels and keep the threshold
// with the smallest KL divergence. Positive values and magnitudes of negative values are
// searched separately, so asymmetric data (an image's dark background, a Relu's zeros)
// keeps its own range on each side; each side gets the levels it will really use.
class EntropyObserver : public Observer {
 public:
  explicit EntropyObserver(const ObserverOptions& o) : options_(o), positive_(o.bins), negative_(o.bins) {}
  void Observe(const float* v, int64_t n) override {
    std::vector<float> pos, neg;
    for (int64_t i = 0; i < n; ++i) {
      if (options_.symmetric) pos.push_back(std::abs(v[i]));
      else if (v[i] >= 0) pos.push_back(v[i]);
      else neg.push_back(-v[i]);
    }
    // Magnitude histograms start at 0 (absolute = true; the values are already non-negative).
    positive_.Add(pos.data(), static_cast<int64_t>(pos.size()), true);
    negative_.Add(neg.data(), static_cast<int64_t>(neg.size()), true);
  }
  FloatRange Range() const override {
    const bool has_pos = positive_.total() > 0, has_neg = negative_.total() > 0;
    if (!has_pos && !has_neg) return {};
    const int levels = options_.quant_levels;
    if (options_.symmetric) {
      const float t = static_cast<float>(BestThreshold(positive_, levels / 2));
      return {-t, t};
    }
    const int per_side = has_pos && has_neg ? levels / 2 : levels;
    return {has_neg ? -static_cast<float>(BestThreshold(negative_, per_side)) : 0.0f,
            has_pos ? static_cast<float>(BestThreshold(positive_, per_side)) : 0.0f};
  }
  size_t StateBytes() const override { return sizeof(*this) + 2 * positive_.counts().size() * sizeof(double); }

 private:
  // `histogram` holds magnitudes from 0 up; `levels` is how many quantization levels cover [0, threshold].
  double BestThreshold(const Histogram& histogram, int levels) const {
    std::vector<double> hist = histogram.counts();
    const int bins = static_cast<int>(hist.size());
    if (bins <= levels) return histogram.hi();
    // As TensorRT does: exact zeros (padding, a Relu's output) would dominate the first bin
    // and push the search towards clipping.
    hist[0] = hist[1];
    double best_kl = std::numeric_limits<double>::infinity();
    int best = bins;
    std::vector<double> p, q;
    for (int i = levels; i <= bins; ++i) {
      p.assign(hist.begin(), hist.begin() + i);
      for (int j = i; j < bins; ++j) p[i - 1] += hist[j];  // outliers clipped into the last bin
      q.assign(i, 0.0);
      for (int k = 0; k < levels; ++k) {  // merge into `levels` bins, spread back over the bins p uses
        const int start = k * i / levels, end = (k + 1) * i / levels;
        double sum = 0;
        int nonzero = 0;
        for (int j = start; j < end; ++j) sum += hist[j], nonzero += p[j] > 0;
        for (int j = start; j < end; ++j) q[j] = p[j] > 0 ? sum / nonzero : 0;
      }
      const double kl = Divergence(p, q);
      if (kl < best_kl) best_kl = kl, best = i;
    }
    return histogram.Edge(best);
  }

  static double Divergence(const std::vector<double>& p, const std::vector<double>& q) {
    double sp = 0, sq = 0;
    for (size_t j = 0; j < p.size(); ++j) sp += p[j], sq += q[j];
    if (sp == 0 || sq == 0) return std::numeric_limits<double>::infinity();
    constexpr double kEps = 1e-10;  // q may be 0 where p is not (the clipped last bin)
    double kl = 0;
    for (size_t j = 0; j < p.size(); ++j)
      if (p[j] > 0) kl += p[j] / sp * std::log((p[j] / sp) / std::max(q[j] / sq, kEps));
    return kl;
  }

  ObserverOptions options_;
  Histogram positive_, negative_;
};

// MSE search in the spirit of PyTorch's HistogramObserver: shrink the range from the side
// holding less mass, one quantile step at a time, while the expected squared error of
// quantizing the histogram (rounding inside, clipping outside) keeps falling.
class MseObserver : public Observer {
 public:
  explicit MseObserver(const ObserverOptions& o) : options_(o), histogram_(o.bins) {}
  void Observe(const float* v, int64_t n) override { histogram_.Add(v, n, options_.symmetric); }
  FloatRange Range() const override {
    if (histogram_.total() == 0) return {};
    const auto& c = histogram_.counts();
    const int bins = static_cast<int>(c.size());
    std::vector<double> cdf(bins);
    double running = 0;
    for (int i = 0; i < bins; ++i) cdf[i] = (running += c[i]) / histogram_.total();
    int start = 0, end = bins - 1;
    double best = Error(start, end);
    constexpr double kStep = 1e-5;
    double alpha = 0, beta = 1;
    int l = 0, r = bins - 1;
    while (alpha < beta) {
      const double next_alpha = alpha + kStep, next_beta = beta - kStep;
      while (l < end && cdf[l] < next_alpha) ++l;
      while (r > start && cdf[r] > next_beta) --r;
      int next_start = start, next_end = end;
      if (options_.symmetric || l - start <= end - r) next_end = r, beta = next_beta;
      else next_start = l, alpha = next_alpha;
      if (next_start == start && next_end == end) continue;
      if (next_start >= next_end) break;
      const double error = Error(next_start, next_end);
      if (error > best) break;
      best = error, start = next_start, end = next_end;
    }
    const float lo = static_cast<float>(histogram_.Edge(start)), hi = static_cast<float>(histogram_.Edge(end + 1));
    if (options_.symmetric) return {-hi, hi};
    return {lo, hi};
  }
  size_t StateBytes() const override { return sizeof(*this) + histogram_.counts().size() * sizeof(double); }

 private:
  // Expected squared error of quantizing the histogram to [edge(start), edge(end + 1)]
  // (widened to contain 0, as the quantization parameters will be).
  double Error(int start, int end) const {
    double lo = std::min(0.0, histogram_.Edge(start)), hi = std::max(0.0, histogram_.Edge(end + 1));
    if (options_.symmetric) lo = -hi;
    const double step = (hi - lo) / (options_.quant_levels - 1);
    double error = 0;
    const auto& c = histogram_.counts();
    for (size_t i = 0; i < c.size(); ++i) {
      if (c[i] == 0) continue;
      const double x = histogram_.Edge(static_cast<int>(i)) + histogram_.bin_width() / 2;
      const double e = x < lo ? (lo - x) * (lo - x) : x > hi ? (x - hi) * (x - hi) : step * step / 12;
      error += c[i] * e;
    }
    return error;
  }

  ObserverOptions options_;
  Histogram histogram_;
};

}  // namespace

Result<CalibrationMethod> ParseCalibrationMethod(const std::string& name) {
  if (name == "minmax") return CalibrationMethod::kMinMax;
  if (name == "moving-average") return CalibrationMethod::kMovingAverage;
  if (name == "percentile") return CalibrationMethod::kPercentile;
  if (name == "entropy") return CalibrationMethod::kEntropy;
  if (name == "mse") return CalibrationMethod::kMse;
  return Fail(StatusCode::kInvalidArgument, "unknown calibration method '", name,
              "'; expected minmax, moving-average, percentile, entropy or mse");
}

std::string CalibrationMethodName(CalibrationMethod method) {
  switch (method) {
    case CalibrationMethod::kMinMax: return "minmax";
    case CalibrationMethod::kMovingAverage: return "moving-average";
    case CalibrationMethod::kPercentile: return "percentile";
    case CalibrationMethod::kEntropy: return "entropy";
    case CalibrationMethod::kMse: return "mse";
  }
  return "?";
}

std::unique_ptr<Observer> MakeObserver(const ObserverOptions& o) {
  switch (o.method) {
    case CalibrationMethod::kMinMax: return std::make_unique<MinMaxObserver>(o.symmetric);
    case CalibrationMethod::kMovingAverage: return std::make_unique<MovingAverageObserver>(o.symmetric, o.averaging_constant);
    case CalibrationMethod::kPercentile: return std::make_unique<PercentileObserver>(o);
    case CalibrationMethod::kEntropy: return std::make_unique<EntropyObserver>(o);
    case CalibrationMethod::kMse: return std::make_unique<MseObserver>(o);
  }
  return nullptr;
}

}  // namespace qplay
