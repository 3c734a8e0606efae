// Einsum's equation, read once for shape inference and the kernel: which index each input axis
// reads, and the length of every index.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace qplay {

struct EinsumPlan {
  std::vector<int64_t> extents;            // every index's length: the output's indices first, then the summed ones
  size_t output_rank = 0;                  // how many of `extents` the output has
  std::vector<std::vector<size_t>> reads;  // per input, per axis: the index that axis reads
};

// "ij,jk->ik", "bhid,bhjd->bhij", "...ii->...i", implicit outputs ("ij,jk") and "..." dims that
// broadcast; fails naming what does not fit the inputs' shapes.
Result<EinsumPlan> PlanEinsum(const std::string& equation, const std::vector<Shape>& inputs);

}  // namespace qplay
