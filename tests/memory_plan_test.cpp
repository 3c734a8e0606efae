// Memory planning: tensors whose lifetimes overlap never share bytes, the arena is smaller
// than giving every intermediate its own buffer, and `qplay info --json` reports it.
#include <gtest/gtest.h>

#include "onnx/model.h"
#include "runtime/memory_plan.h"
#include "test_paths.h"

namespace qplay {
namespace {

void ExpectNoConflicts(const std::vector<PlannedTensor>& tensors) {
  for (size_t i = 0; i < tensors.size(); ++i)
    for (size_t j = i + 1; j < tensors.size(); ++j) {
      const PlannedTensor &a = tensors[i], &b = tensors[j];
      const bool same_time = a.first <= b.last && b.first <= a.last;
      const bool same_bytes = a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;
      EXPECT_FALSE(same_time && same_bytes) << a.name << " and " << b.name;
    }
}

TEST(MemoryPlan, TensorsAliveAtDifferentTimesShareMemory) {
  std::vector<PlannedTensor> tensors = {{"a", 100, 0, 1, 0}, {"b", 50, 1, 2, 0}, {"c", 100, 2, 3, 0}};
  EXPECT_EQ(PlaceInArena(tensors), 150);
  EXPECT_EQ(tensors[0].offset, tensors[2].offset) << "a is dead before c is made";
  ExpectNoConflicts(tensors);
}

TEST(MemoryPlan, BundledModelsNeedLessThanOneBufferPerTensor) {
  for (const std::string name : {"cnn", "transformer", "lstm"}) {
    auto model = LoadModelFile(testing::SourcePath("examples/models/" + name + ".onnx"));
    ASSERT_TRUE(model.ok());
    auto plan = PlanMemory(*model);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    EXPECT_GT(plan->tensors.size(), 5u) << name;
    int64_t largest = 0;
    for (const auto& t : plan->tensors) largest = std::max(largest, t.bytes);
    EXPECT_GE(plan->arena_bytes, largest) << name;
    EXPECT_LT(plan->arena_bytes, plan->tensor_bytes) << name;
    ExpectNoConflicts(plan->tensors);
  }
}

}  // namespace
}  // namespace qplay
