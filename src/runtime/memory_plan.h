// Memory planning: which intermediate tensors can share memory, from their lifetimes (the
// node that produces each, the last node that reads it) and their sizes. The plan places
// every intermediate of the main graph at an offset in one arena, largest first, each at the
// lowest offset that overlaps no tensor alive at the same time (TFLite's greedy-by-size
// arena planner); the arena's size is the peak the model needs for one run.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "ir/model.h"

namespace qplay {

struct PlannedTensor {
  std::string name;
  int64_t bytes = 0;
  size_t first = 0, last = 0;  // node indices: produced by `first`, last read by `last`
  int64_t offset = 0;          // set by PlaceInArena
};

// Offsets for `tensors`; returns the arena size.
int64_t PlaceInArena(std::vector<PlannedTensor>& tensors);

struct MemoryPlan {
  int64_t batch = 1;          // the size given to symbolic dims for the planning run
  int64_t arena_bytes = 0;    // peak with buffers reused by lifetime
  int64_t tensor_bytes = 0;   // every intermediate in its own buffer
  std::vector<PlannedTensor> tensors;
};

// Sizes come from running the model once on zero inputs whose symbolic dims are `batch`.
Result<MemoryPlan> PlanMemory(const Model& model, int64_t batch = 1);

}  // namespace qplay
