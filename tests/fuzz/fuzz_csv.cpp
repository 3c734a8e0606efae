// .csv parsing: headers, label columns, numbers and row widths.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "data/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)qplay::ParseCsv(std::string_view(reinterpret_cast<const char*>(data), size), "fuzzed.csv");
  return 0;
}
