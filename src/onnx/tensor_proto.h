// onnx.TensorProto -> Tensor. Included only by files in onnx/.
#pragma once
#include <string>

#include "core/status.h"
#include "core/tensor.h"
#include "onnx_schema/onnx.pb.h"

namespace qplay {

// `context` names the tensor in errors, e.g. "initializer 'conv1.weight'".
Result<Tensor> TensorFromProto(const onnx::TensorProto& proto, const std::string& context);

}  // namespace qplay
