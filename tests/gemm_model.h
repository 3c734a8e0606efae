// A one-node model for quantizer tests: y = Gemm(x, w, b) with transB, x [N, 4], w [3, 4], b [3].
#pragma once
#include <string>

#include "model_builder.h"
#include "onnx/model.h"

namespace qplay::testing {

inline Model GemmModel() {
  ModelBuilder b;
  b.Input("x", {-1, 4}).Output("y");
  b.Initializer("w", {3, 4}, {0.5f, -0.25f, 0.125f, 1.0f, -1.0f, 0.75f, 0.5f, 0.25f, 0.3f, 0.2f, -0.1f, 0.9f});
  b.Initializer("b", {3}, {0.5f, -0.3f, 2.0f});
  auto* gemm = b.Node("Gemm", {"x", "w", "b"}, {"y"}, "fc");
  auto* trans_b = gemm->add_attribute();
  trans_b->set_name("transB");
  trans_b->set_type(onnx::AttributeProto::INT);
  trans_b->set_i(1);
  const std::string bytes = b.Bytes();
  return LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).value();
}

}  // namespace qplay::testing
