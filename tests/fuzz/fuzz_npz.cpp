// .npz parsing: the zip container (end records, zip64, directory entries, local headers),
// inflating, CRC checks, and each entry's .npy.
#include <cstddef>
#include <cstdint>

#include "data/npz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)qplay::ParseNpz(data, size, "fuzzed.npz");
  return 0;
}
