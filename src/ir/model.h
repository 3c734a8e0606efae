// A loaded model: the graph IR, the opsets it imports, and the original protobuf (opaque
// here; only onnx/ sees protobuf types), kept so that fields the IR does not model survive a save.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "ir/ir.h"

namespace qplay {

class ProtoStore;  // wraps onnx::ModelProto; only onnx/ sees protobuf types

struct Model {
  Graph graph;
  std::map<std::string, int64_t> opsets;  // domain ("" = ai.onnx) -> version
  int64_t ir_version = 0;
  std::string producer_name;
  std::string producer_version;
  // "float16" or "bfloat16" when the file stores that precision: qplay loaded it as float32
  // (weights, declared types, casts) and computes in float32. "" otherwise.
  std::string upcast_from;
  // Graph inputs and outputs the file declares float16 or bfloat16: held as float32, and written
  // back with their own types (ExportModel casts them at the graph's edges).
  std::map<std::string, DataType> half_precision_io;
  std::shared_ptr<const ProtoStore> proto;

  int64_t DefaultOpset() const;
  // The version of `domain` the model imports (0 when it imports none).
  int64_t Opset(const std::string& domain) const;
};

}  // namespace qplay
