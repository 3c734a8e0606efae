// Loads the ONNX bytes a test built (testing::ModelBuilder) and runs them once on `inputs`.
#pragma once
#include <string>

#include "onnx/model.h"
#include "runtime/session.h"

namespace qplay::testing {

inline Result<TensorMap> LoadAndRun(const std::string& bytes, const TensorMap& inputs, const std::string& source = "model.onnx") {
  auto model = LoadModel(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), source);
  if (!model.ok()) return model.status();
  auto session = Session::Create(*model);
  if (!session.ok()) return session.status();
  return session->Run(inputs);
}

}  // namespace qplay::testing
