// Loading and running: a model that loads runs once on inputs made from its declared inputs
// (the bytes after the model feed their values), as written or optimized.
#include <cstddef>
#include <cstdint>

#include "fuzz_inputs.h"
#include "onnx/model.h"
#include "runtime/session.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  qplay::fuzz::LimitWork();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto model = qplay::LoadModel(data, size, "fuzzed.onnx");
  if (!model.ok()) return 0;
  auto inputs = qplay::fuzz::InputsFor(model->graph, data, size);
  if (!inputs) return 0;
  // Half the inputs run the model as the page does, optimized (passes/inference_optimization.h).
  auto session = qplay::Session::Create(*model, {.optimize = size % 2 == 0});
  if (session.ok()) (void)session->Run(*inputs);
  return 0;
}
