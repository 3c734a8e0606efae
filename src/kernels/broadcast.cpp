#include "kernels/broadcast.h"

#include <algorithm>

namespace qplay {

Result<Shape> BroadcastShapes(const std::vector<Shape>& shapes) {
  size_t rank = 0;
  for (const auto& s : shapes) rank = std::max(rank, s.size());
  Shape out(rank, 1);
  for (const auto& s : shapes) {
    for (size_t j = 0; j < s.size(); ++j) {
      int64_t& o = out[rank - 1 - j];
      int64_t d = s[s.size() - 1 - j];
      if (d == o || d == 1) continue;
      if (o == 1) {
        o = d;
        continue;
      }
      std::string all;
      for (const auto& t : shapes) all += (all.empty() ? "" : " and ") + ShapeToString(t);
      return Fail(StatusCode::kInvalidArgument, "shapes ", all, " do not broadcast");
    }
  }
  return out;
}

}  // namespace qplay
