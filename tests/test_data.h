// Reading the test data files (.npy) with a test failure, not a crash, when one is missing.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "data/npy.h"
#include "onnx/model.h"
#include "test_paths.h"

namespace qplay::testing {

inline Tensor LoadNpy(const std::string& path) {
  auto bytes = ReadFileBytes(path);
  if (!bytes.ok()) {
    ADD_FAILURE() << bytes.status().message();
    return Tensor();
  }
  auto tensor = ParseNpy(bytes->data(), bytes->size(), path);
  if (!tensor.ok()) ADD_FAILURE() << tensor.status().message();
  return tensor.ok() ? tensor.value() : Tensor();
}

// The first `limit` samples of a .npy file in the source tree.
inline Tensor LoadSourceNpy(const std::string& relative, int64_t limit = INT64_MAX) {
  Tensor all = LoadNpy(SourcePath(relative));
  return all.empty() ? all : all.SliceRows(0, std::min(limit, all.dim(0)));
}

}  // namespace qplay::testing
