// The threads kernels split their loops over: the caller plus ThreadCount() - 1 workers started
// once. Results do not depend on the thread count: each index of a loop runs exactly once, on
// code that does not know which thread runs it, and each writes outputs no other index writes.
// A build without threads (the single-threaded wasm module) runs every loop on the caller.
#pragma once
#include <cstdint>
#include <functional>

namespace qplay {

// Threads a loop may use, the caller included: the machine's hardware threads unless set.
int ThreadCount();
// Clamped to [1, what the build can start]; the first loop after a change starts or stops workers.
void SetThreadCount(int count);
// Most threads this build can run (1 without threads).
int MaxThreadCount();

// Calls body(begin, end) on contiguous ranges covering [0, count), each at least `grain` long
// (except the last), spread over the threads, and returns when all have run. The first
// exception a range throws is rethrown here. A loop inside a loop that was split runs on its
// caller; inside one that was not (a single range), it may split.
void ParallelFor(int64_t count, int64_t grain, const std::function<void(int64_t begin, int64_t end)>& body);

// The grain that gives each range about 64 K units of work (multiply-adds, elements moved) when
// one index costs `work_per_index`: below that, waking a thread costs more than it saves.
inline int64_t GrainForWork(int64_t work_per_index) {
  constexpr int64_t kWorkPerRange = int64_t{1} << 16;
  return work_per_index >= kWorkPerRange ? 1 : (kWorkPerRange + work_per_index - 1) / (work_per_index > 0 ? work_per_index : 1);
}

}  // namespace qplay
