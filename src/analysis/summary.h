// What a person wants to know about a model before running it: inputs and outputs with
// shapes, op histogram, parameter count and size, opsets, and what the runtime cannot run.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ir/model.h"

namespace qplay {

struct ValueSummary {
  std::string name;
  std::string dtype;
  std::optional<std::vector<Dim>> shape;  // nullopt when the rank is unknown
};

struct ModelSummary {
  std::string graph_name;
  std::string producer;
  int64_t ir_version = 0;
  std::map<std::string, int64_t> opsets;
  std::vector<ValueSummary> inputs, outputs;
  int64_t node_count = 0;
  std::map<std::string, int64_t> op_histogram;
  int64_t parameter_count = 0;  // elements in initializers, subgraphs' included
  int64_t parameter_bytes = 0;
  std::vector<std::string> unsupported;  // one line per node the runtime cannot run
  std::string upcast_from;  // "float16"/"bfloat16": the file's precision, computed in float32
};

ModelSummary Summarize(const Model& model);
// The summary as JSON text (the CLI's `info --json` and the wasm `model.info()`).
std::string SummaryToJson(const ModelSummary& summary);
std::string SummaryToText(const ModelSummary& summary);

}  // namespace qplay
