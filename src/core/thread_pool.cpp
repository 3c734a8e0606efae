#include "core/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>

#if !defined(__EMSCRIPTEN__) || defined(__EMSCRIPTEN_PTHREADS__)
#define QPLAY_HAS_THREADS 1
#include <condition_variable>
#include <thread>
#endif

namespace qplay {
namespace {

thread_local bool inside_loop = false;  // nested loops run inline

// Runs body over [begin, end) with `inside_loop` set, so its own loops stay on this thread.
void RunRange(const std::function<void(int64_t, int64_t)>& body, int64_t begin, int64_t end) {
  const bool was = inside_loop;
  inside_loop = true;
  try {
    body(begin, end);
  } catch (...) {
    inside_loop = was;
    throw;
  }
  inside_loop = was;
}

#ifdef QPLAY_HAS_THREADS

int HardwareThreads() {
  if (const char* env = std::getenv("QPLAY_THREADS")) return std::max(1, std::atoi(env));
  return std::max(1u, std::thread::hardware_concurrency());
}

// One loop in flight: its ranges are claimed by index until none is left.
struct Loop {
  const std::function<void(int64_t, int64_t)>* body = nullptr;
  int64_t count = 0, chunk = 0, chunks = 0;
  std::atomic<int64_t> next{0}, done{0};
  std::mutex error_mutex;
  std::exception_ptr error;

  // Claims and runs ranges until none is left; true when this call ran the last one.
  bool Work() {
    bool finished_last = false;
    for (int64_t i; (i = next.fetch_add(1)) < chunks;) {
      try {
        RunRange(*body, i * chunk, std::min(count, (i + 1) * chunk));
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
      }
      finished_last = done.fetch_add(1) + 1 == chunks;
    }
    return finished_last;
  }
};

class Pool {
 public:
  static Pool& Get() {
    static Pool* pool = new Pool();  // never destroyed: workers may outlive static destructors
    return *pool;
  }

  int threads() const { return threads_; }
  void SetThreads(int count) {
    std::lock_guard<std::mutex> caller(caller_mutex_);
    threads_ = std::clamp(count, 1, MaxThreadCount());
  }

  void Run(int64_t count, int64_t grain, const std::function<void(int64_t, int64_t)>& body) {
    std::unique_lock<std::mutex> caller(caller_mutex_, std::try_to_lock);
    const int64_t ranges = (count + grain - 1) / grain;
    if (!caller.owns_lock() || threads_ == 1) {  // another caller has the pool, or there is no pool
      RunRange(body, 0, count);
      return;
    }
    if (ranges < 2) {  // one range: the loops inside it may split instead
      caller.unlock();
      body(0, count);
      return;
    }
    Resize(threads_ - 1);
    auto loop = std::make_shared<Loop>();
    loop->body = &body;
    loop->count = count;
    loop->chunks = std::min<int64_t>(ranges, int64_t{threads_} * 4);
    loop->chunk = (count + loop->chunks - 1) / loop->chunks;
    loop->chunks = (count + loop->chunk - 1) / loop->chunk;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      loop_ = loop;
      active_workers_ = threads_ - 1;
      generation_.fetch_add(1);
    }
    wake_.notify_all();
    loop->Work();
    const auto finished = [&] { return loop->done.load() == loop->chunks; };
    SpinUntil(finished);
    {
      std::unique_lock<std::mutex> lock(mutex_);
      finished_.wait(lock, finished);
      loop_.reset();
    }
    if (loop->error) std::rethrow_exception(loop->error);
  }

 private:
  Pool() : threads_(std::clamp(HardwareThreads(), 1, MaxThreadCount())) {}

  // Starts workers up to `count`. Workers are never stopped: after the count is lowered, those
  // numbered past it sit loops out.
  void Resize(int count) {
    for (; workers_ < count; ++workers_) std::thread([this, index = workers_] { WorkerLoop(index); }).detach();
  }

  // Kernels run one loop after another, microseconds apart: waiting a little before sleeping
  // saves waking a thread (tens of microseconds) each time.
  template <typename Condition>
  static void SpinUntil(Condition condition) {
    for (int i = 0; i < 20000 && !condition(); ++i) std::this_thread::yield();
  }

  void WorkerLoop(int index) {
    uint64_t seen = 0;
    for (;;) {
      std::shared_ptr<Loop> loop;
      const auto new_loop = [&] { return generation_.load() != seen; };
      SpinUntil(new_loop);
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, new_loop);
        seen = generation_.load();
        if (index < active_workers_) loop = loop_;
      }
      if (loop && loop->Work()) {
        std::lock_guard<std::mutex> lock(mutex_);
        finished_.notify_all();
      }
    }
  }

  int threads_;
  std::mutex caller_mutex_;  // one loop at a time
  std::mutex mutex_;
  std::condition_variable wake_, finished_;
  std::shared_ptr<Loop> loop_;
  std::atomic<uint64_t> generation_{0};
  int workers_ = 0;         // started
  int active_workers_ = 0;  // taking part in the current loop (guarded by mutex_)
};

#endif

}  // namespace

#ifdef QPLAY_HAS_THREADS

int MaxThreadCount() {
#ifdef __EMSCRIPTEN__
  return QPLAY_WASM_THREADS;  // the module's prestarted pthread pool, plus the caller
#else
  return 64;
#endif
}
int ThreadCount() { return Pool::Get().threads(); }
void SetThreadCount(int count) { Pool::Get().SetThreads(count); }
void ParallelFor(int64_t count, int64_t grain, const std::function<void(int64_t, int64_t)>& body) {
  if (count <= 0) return;
  if (inside_loop) return body(0, count);
  Pool::Get().Run(count, std::max<int64_t>(grain, 1), body);
}

#else

int MaxThreadCount() { return 1; }
int ThreadCount() { return 1; }
void SetThreadCount(int) {}
void ParallelFor(int64_t count, int64_t grain, const std::function<void(int64_t, int64_t)>& body) {
  if (count > 0) RunRange(body, 0, count);
}

#endif

}  // namespace qplay
