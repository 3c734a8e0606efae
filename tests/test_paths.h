// Locations the tests read from.
#pragma once
#include <string>

namespace qplay::testing {

inline const std::string kTestData = "/usr/share/libonnx-testdata/data";
inline std::string SourcePath(const std::string& relative) { return std::string(QPLAY_SOURCE_DIR) + "/" + relative; }

}  // namespace qplay::testing
