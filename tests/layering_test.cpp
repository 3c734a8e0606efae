// Layers run one way (docs/architecture.md): a file in src/<layer>/ includes only its own
// layer and the layers below it. The per-layer libraries in CMakeLists.txt link the same way;
// this test also catches header-only uses the linker never sees.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "test_paths.h"

namespace qplay {
namespace {

namespace fs = std::filesystem;

// Each layer and the layers it may include (besides itself).
const std::map<std::string, std::set<std::string>>& AllowedIncludes() {
  static const std::map<std::string, std::set<std::string>> allowed = [] {
    const std::vector<std::pair<std::string, std::vector<std::string>>> below = {
        {"core", {}},
        {"ir", {"core"}},
        {"data", {"core"}},
        {"ops", {"ir"}},
        {"kernels", {"ops"}},
        {"graph", {"kernels"}},
        {"onnx", {"graph", "onnx_schema"}},
        {"passes", {"onnx"}},
        {"runtime", {"passes", "data"}},
        {"quant", {"runtime"}},
        {"train", {"quant", "data"}},
        {"analysis", {"quant", "data"}},
        {"tools", {"analysis", "train", "data"}},
        {"cli", {"tools"}},
        {"bindings", {"analysis", "train", "data"}},
    };
    std::map<std::string, std::set<std::string>> closure;
    for (const auto& [layer, deps] : below) {  // listed bottom-up, so each dep's closure is known
      auto& reach = closure[layer];
      for (const auto& dep : deps) {
        reach.insert(dep);
        if (closure.count(dep)) reach.insert(closure[dep].begin(), closure[dep].end());
      }
    }
    return closure;
  }();
  return allowed;
}

TEST(Layering, NoIncludeRunsUpward) {
  const fs::path src = fs::path(QPLAY_SOURCE_DIR) / "src";
  const std::regex include_line(R"re(^\s*#\s*include\s*"([a-z_]+)/)re");
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(src)) {
    if (!entry.is_regular_file()) continue;
    const std::string layer = fs::relative(entry.path(), src).begin()->string();
    auto allowed = AllowedIncludes().find(layer);
    ASSERT_NE(allowed, AllowedIncludes().end()) << "src/" << layer << " is not in the layer table";
    ++files;
    std::ifstream in(entry.path());
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      std::smatch m;
      if (!std::regex_search(line, m, include_line)) continue;
      const std::string target = m[1];
      if (target == layer || target == "nlohmann") continue;
      EXPECT_TRUE(allowed->second.count(target))
          << fs::relative(entry.path(), src).string() << ":" << number << " includes " << target << "/, above "
          << layer << "/";
    }
  }
  EXPECT_GT(files, 100);
}

}  // namespace
}  // namespace qplay
