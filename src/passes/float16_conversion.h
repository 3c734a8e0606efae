// A float32 model rewritten to compute in float16, as onnxconverter-common's float16 tool does:
// float weights stored as float16 (magnitudes clamped into [min_positive, max_finite]), every
// float value typed float16, and the nodes that must stay float32 computing between casts: the
// ops their schemas keep in float32 (TopK, NonMaxSuppression, Resize, ...), quantized ops (their
// scales are float32), and those the caller names.
#pragma once
#include <cstdint>
#include <set>
#include <string>

#include "ir/model.h"

namespace qplay {

struct Float16Options {
  // The graph's float inputs and outputs stay float32, cast at the graph's edges.
  bool keep_io_types = false;
  // Op types or node names kept in float32 beside those the schemas keep.
  std::set<std::string> keep_float32;
  float min_positive = 1e-7f;
  float max_finite = 1e4f;
};

struct Float16Report {
  int64_t float16_weights = 0;  // initializers and constant tensors written in float16
  int64_t float32_nodes = 0;    // nodes computing in float32 between casts
  int64_t casts = 0;            // Cast nodes added
};

// Rewrites `model` (subgraphs included) in place. The result is for export only: qplay computes
// in float32, so a float16 model runs once it is loaded again.
Float16Report ConvertToFloat16(Model& model, const Float16Options& options);

}  // namespace qplay
