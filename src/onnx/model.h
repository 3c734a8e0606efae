// ONNX bytes to a Model (ir/model.h) and back: parse, validate against the op schemas and
// infer shapes; save losslessly or export the IR as it is now.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "ir/model.h"

namespace qplay {

// Fills `out` (`length` bytes) from `offset` of the external data file `location`, as a
// tensor of the model names it, or fails naming what is wrong.
using ExternalDataReader =
    std::function<Status(const std::string& location, int64_t offset, int64_t length, uint8_t* out)>;

// Parses and validates ONNX bytes. `source` names the file in error messages. Tensors kept in
// external data files are read through `external`; without one, such a model is refused.
Result<Model> LoadModel(const uint8_t* data, size_t size, const std::string& source = "model",
                        const ExternalDataReader& external = {});
// Fills `out` with up to `capacity` of a file's next bytes and returns how many (0 at its end).
using ByteStream = std::function<size_t(uint8_t* out, size_t capacity)>;
// LoadModel of a file of `size` bytes read through `read` a chunk at a time, so that memory holds
// the parsed model and not also the file's bytes.
Result<Model> LoadModelStreamed(const ByteStream& read, size_t size, const std::string& source = "model",
                                const ExternalDataReader& external = {});
// A model file (streamed) and the external data files beside it (which must stay inside its folder).
Result<Model> LoadModelFile(const std::string& path);
// An external data file given with the model: its size, and a copy of `length` bytes from `offset`.
struct ExternalFile {
  int64_t size = 0;
  std::function<void(int64_t offset, int64_t length, uint8_t* out)> copy;
};
// External data from files given by name (what a person picked in the page), each range
// checked against the file's size before it is copied.
ExternalDataReader ExternalDataFromFiles(std::map<std::string, ExternalFile> files);
// The model exactly as it was loaded (byte-identical when nothing changed the protobuf).
Result<std::vector<uint8_t>> SaveModel(const Model& model);
// The IR as it is now (after passes or quantization), written as a new ModelProto that keeps
// the original's model-level fields (metadata, functions, doc strings, unknown fields) and
// imports the opsets in model.opsets.
Result<std::vector<uint8_t>> ExportModel(const Model& model);
// The size in bytes of what ExportModel writes.
Result<int64_t> ExportedSize(const Model& model);

// When ExportModelFiles keeps initializers in an external data file: once the model would pass
// protobuf's 2 GB limit, always, or never.
enum class ExternalData { kAuto, kAlways, kNever };
struct ExportedFiles {
  std::vector<uint8_t> model;
  std::string data_location;  // the data file's name beside the model; "" when every tensor is inline
  std::vector<uint8_t> data;
};
// ExportModel, with (as ONNX's converter does) every initializer of 1 KiB or more in the data
// file `data_location` when `when` says so.
Result<ExportedFiles> ExportModelFiles(const Model& model, ExternalData when, const std::string& data_location);

// One serialized onnx.TensorProto (the conformance tests' input_*.pb / output_*.pb).
struct NamedTensor {
  std::string name;
  Tensor tensor;
};
Result<NamedTensor> ParseTensorProto(const uint8_t* data, size_t size, const std::string& source);

Result<std::vector<uint8_t>> ReadFileBytes(const std::string& path);

}  // namespace qplay
