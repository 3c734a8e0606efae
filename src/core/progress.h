// Long work reports (steps done, steps total) after each step; returning false cancels it.
#pragma once
#include <cstdint>
#include <functional>

namespace qplay {

using ProgressFn = std::function<bool(int64_t done, int64_t total)>;

}  // namespace qplay
