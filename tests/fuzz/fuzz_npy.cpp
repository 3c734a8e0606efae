// .npy parsing (headers, shapes, dtypes, lengths), and writing back what parsed.
#include <cstddef>
#include <cstdint>

#include "data/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto tensor = qplay::ParseNpy(data, size, "fuzzed.npy");
  if (tensor.ok()) (void)qplay::EncodeNpy(*tensor);
  return 0;
}
