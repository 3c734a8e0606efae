// Quantization of small models (quantize_case.h); tests/hostile_test.cpp replays the inputs it
// found (tests/hostile/fuzz_quantize_*.bin).
#include <cstddef>
#include <cstdint>

#include "fuzz_inputs.h"
#include "quantize_case.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  qplay::fuzz::LimitWork();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  qplay::fuzz::QuantizeCase(data, size);
  return 0;
}
