#include "quant/calibrator.h"

#include <cmath>
#include <memory>

#include "runtime/session.h"

namespace qplay {
namespace {

Status CheckFinite(const std::string& input, const Tensor& t, int64_t first_sample) {
  if (t.dtype() != DataType::kFloat) return Status::Ok();
  const int64_t per_sample = t.size() / std::max<int64_t>(t.dim(0), 1);
  for (int64_t i = 0; i < t.size(); ++i) {
    const float v = t.data<float>()[i];
    if (!std::isfinite(v))
      return Fail(StatusCode::kInvalidArgument, "calibration sample ", first_sample + i / per_sample, " of input '", input,
                  "' contains ", std::isnan(v) ? "NaN" : "Inf", " at element ", i % per_sample);
  }
  return Status::Ok();
}

}  // namespace

Result<std::map<std::string, FloatRange>> Calibrate(const Model& model, const std::vector<std::string>& tensors,
                                                    const SampleSet& samples, const CalibrationOptions& options,
                                                    const ProgressFn& progress) {
  auto bound = SampleFeeds::Bind(model.graph, samples, "calibration");
  if (!bound.ok()) return bound.status();
  auto session = Session::Create(model);
  if (!session.ok()) return session.status();
  const SampleFeeds feeds = options.limit > 0 ? bound->Head(options.limit) : *bound;
  const int64_t total = feeds.samples();

  std::map<std::string, std::unique_ptr<Observer>> observers;
  for (const auto& name : tensors) {
    auto custom = options.per_tensor.find(name);
    observers[name] = MakeObserver(custom == options.per_tensor.end() ? options.observer : custom->second);
  }
  auto observe = [&](const std::string& name, const Tensor& t) {
    auto it = observers.find(name);
    if (it != observers.end() && t.dtype() == DataType::kFloat) it->second->Observe(t.data<float>(), t.size());
  };

  const int64_t batch = feeds.RunSize(options.batch_size);
  for (int64_t start = 0; start < total; start += batch) {
    const int64_t count = std::min(batch, total - start);
    auto inputs = feeds.Run(start, count);
    if (!inputs.ok()) return inputs.status();
    for (const auto& [name, t] : *inputs) {
      QPLAY_RETURN_IF_ERROR(CheckFinite(name, t, start));
      observe(name, t);
    }
    auto run = session->Run(*inputs, [&](const Node&, const std::string& name, const Tensor& t) { observe(name, t); });
    if (!run.ok()) return run.status().WithContext("calibration sample " + std::to_string(start));
    if (progress && !progress(start + count, total)) return Fail(StatusCode::kCancelled, "calibration cancelled");
  }

  std::map<std::string, FloatRange> ranges;
  for (const auto& [name, observer] : observers) ranges[name] = observer->Range();
  return ranges;
}

}  // namespace qplay
