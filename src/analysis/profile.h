// Per-op profile of one model on one input batch: time per node (the median of several runs,
// as the session executes it: a QDQ model through its integer kernels, any model optimized, so
// activations appear inside the FusedConv they were fused into), multiply-accumulates
// for the matrix ops, and bytes read and written; totals per op type; the model's size.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "ir/model.h"
#include "runtime/session.h"

namespace qplay {

struct NodeProfile {
  std::string name, op_type;
  double ms = 0;
  int64_t macs = 0;   // multiply-accumulates (Conv, MatMul, Gemm and their integer forms)
  int64_t bytes = 0;  // inputs read plus outputs written
};

struct OpTypeProfile {
  int64_t count = 0;
  double ms = 0;
  int64_t macs = 0, bytes = 0;
};

struct ModelProfile {
  double total_ms = 0;
  int64_t parameter_bytes = 0;
  std::vector<NodeProfile> nodes;  // in execution order
  std::map<std::string, OpTypeProfile> op_types;
  std::string ToJson() const;
};

// Runs `model` on `feeds` (one run's inputs, SampleFeeds::Run) `runs` times after one warm-up run.
Result<ModelProfile> ProfileModel(const Model& model, const TensorMap& feeds, int runs = 5);

}  // namespace qplay
