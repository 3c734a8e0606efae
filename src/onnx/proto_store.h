// The protobuf side of a Model. Included only by files in onnx/.
#pragma once
#include "onnx_schema/onnx.pb.h"

namespace qplay {

class ProtoStore {
 public:
  onnx::ModelProto model;
};

}  // namespace qplay
