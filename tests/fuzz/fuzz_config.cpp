// The quantization config's JSON, and writing back what parsed.
#include <cstddef>
#include <cstdint>
#include <string>

#include "quant/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto config = qplay::QuantizationConfig::FromJson(std::string(reinterpret_cast<const char*>(data), size));
  if (config.ok()) (void)config->ToJson();
  return 0;
}
