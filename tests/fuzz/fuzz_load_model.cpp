// Model loading: parse, validate every node against its schema, infer shapes, fold constants.
#include <cstddef>
#include <cstdint>

#include "fuzz_inputs.h"
#include "onnx/model.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  qplay::fuzz::LimitWork();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)qplay::LoadModel(data, size, "fuzzed.onnx");
  return 0;
}
