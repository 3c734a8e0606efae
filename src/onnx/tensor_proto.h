// onnx.TensorProto -> Tensor. Included only by files in onnx/.
#pragma once
#include <string>

#include "core/status.h"
#include "core/tensor.h"
#include "onnx/model.h"
#include "onnx_schema/onnx.pb.h"

namespace qplay {

// `context` names the tensor in errors, e.g. "initializer 'conv1.weight'". When `owner`
// (whatever keeps `proto` alive) is given, raw data is viewed in place instead of copied.
// float16 and bfloat16 tensors come back as float32.
// Tensors with external data are read through `external` (a model without one is refused
// with how to inline the data).
Result<Tensor> TensorFromProto(const onnx::TensorProto& proto, const std::string& context,
                               const std::shared_ptr<const void>& owner = nullptr,
                               const ExternalDataReader* external = nullptr);

// Tensor -> onnx.TensorProto with raw_data (little-endian, as ONNX requires).
onnx::TensorProto TensorToProto(const Tensor& tensor, const std::string& name);
// The same with its bytes appended to `data`, the contents of the external data file `location`.
onnx::TensorProto TensorToExternalProto(const Tensor& tensor, const std::string& name, const std::string& location,
                                        std::vector<uint8_t>& data);

}  // namespace qplay
