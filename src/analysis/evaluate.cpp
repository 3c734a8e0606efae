#include "analysis/evaluate.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "analysis/metrics_json.h"
#include "runtime/session.h"

namespace qplay {
Result<EvaluationReport> Evaluate(const Model& reference, const Model* compared, const SampleSet& data,
                                  const Tensor* labels, int64_t batch_size, const ProgressFn& progress) {
  auto feeds = SampleFeeds::Bind(reference.graph, data, "evaluation data");
  if (!feeds.ok()) return feeds.status();
  if (labels && labels->size() != feeds->samples())
    return Fail(StatusCode::kInvalidArgument, labels->size(), " labels for ", feeds->samples(), " samples");
  auto ref_session = Session::Create(reference, {.optimize = true});
  if (!ref_session.ok()) return ref_session.status();
  std::optional<Session> cmp_session;
  if (compared) {
    auto s = Session::Create(*compared, {.optimize = true});
    if (!s.ok()) return s.status().WithContext("compared model");
    cmp_session.emplace(s.value());
  }
  EvaluationReport report;
  report.samples = feeds->samples();
  report.has_labels = labels != nullptr;
  report.has_comparison = compared != nullptr;
  report.classification = true;
  std::map<std::string, ErrorAccumulator> errors;
  const int64_t batch = feeds->RunSize(batch_size);
  for (int64_t start = 0; start < report.samples; start += batch) {
    const int64_t count = std::min(batch, report.samples - start);
    auto run_inputs = feeds->Run(start, count);
    if (!run_inputs.ok()) return run_inputs.status();
    const TensorMap& inputs = *run_inputs;
    auto ref_out = ref_session->Run(inputs);
    if (!ref_out.ok()) return ref_out.status();
    TensorMap cmp_out = *ref_out;
    if (cmp_session) {
      auto out = cmp_session->Run(inputs);
      if (!out.ok()) return out.status().WithContext("compared model");
      cmp_out = *out;
      for (const auto& [name, t] : *ref_out) {
        auto other = cmp_out.find(name);
        if (other == cmp_out.end()) return Fail(StatusCode::kInvalidArgument, "the compared model has no output '", name, "'");
        QPLAY_RETURN_IF_ERROR(errors[name].Add(t, other->second).WithContext("output '" + name + "'"));
      }
    }
    const auto& [first_name, logits] = *ref_out->begin();
    report.classification = report.classification && logits.rank() == 2 && logits.dim(0) == count && logits.dtype() == DataType::kFloat;
    if (report.classification) {
      const Tensor label_rows = labels ? labels->SliceRows(start, count) : Tensor();
      QPLAY_RETURN_IF_ERROR(AddClassificationBatch(report.classes, logits, cmp_out.at(first_name), labels ? &label_rows : nullptr));
    }
    if (progress && !progress(start + count, report.samples)) return Fail(StatusCode::kCancelled, "evaluation cancelled");
  }
  for (const auto& [name, acc] : errors) report.outputs[name] = acc.Result();
  return report;
}

std::string EvaluationReport::ToJson() const {
  nlohmann::json j = {{"samples", samples}};
  if (classification && has_labels) j["accuracy"] = classes.reference_accuracy();
  if (has_comparison) {
    nlohmann::json c = nlohmann::json::object();
    if (classification) {
      if (has_labels) c["accuracy"] = classes.test_accuracy();
      c["agreement"] = classes.agreement();
      c["disagreements"] = nlohmann::json::array();
      for (const Disagreement& d : classes.disagreements)
        c["disagreements"].push_back({{"sample", d.sample}, {"reference", d.reference}, {"test", d.test}});
    }
    for (const auto& [name, m] : outputs)
      c["outputs"][name] = qplay::ToJson(m);
    j["compare"] = c;
  }
  return j.dump(2);
}

}  // namespace qplay
