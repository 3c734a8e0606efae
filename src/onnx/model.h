// ONNX bytes to a Model (ir/model.h) and back: parse, validate against the op schemas and
// infer shapes; save losslessly or export the IR as it is now.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "ir/model.h"

namespace qplay {

// Parses and validates ONNX bytes. `source` names the file in error messages.
Result<Model> LoadModel(const uint8_t* data, size_t size, const std::string& source = "model");
Result<Model> LoadModelFile(const std::string& path);
// The model exactly as it was loaded (byte-identical when nothing changed the protobuf).
Result<std::vector<uint8_t>> SaveModel(const Model& model);
// The IR as it is now (after passes or quantization), written as a new ModelProto that keeps
// the original's model-level fields (metadata, functions, doc strings, unknown fields) and
// imports the opsets in model.opsets.
Result<std::vector<uint8_t>> ExportModel(const Model& model);
// The size in bytes of what ExportModel writes.
Result<int64_t> ExportedSize(const Model& model);

// One serialized onnx.TensorProto (the conformance tests' input_*.pb / output_*.pb).
struct NamedTensor {
  std::string name;
  Tensor tensor;
};
Result<NamedTensor> ParseTensorProto(const uint8_t* data, size_t size, const std::string& source);

Result<std::vector<uint8_t>> ReadFileBytes(const std::string& path);

}  // namespace qplay
