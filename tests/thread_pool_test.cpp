// The thread pool (core/thread_pool.h): every index once, errors carried to the caller, nested
// loops inline, and models giving the same bits on any number of threads.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/thread_pool.h"
#include "onnx/model.h"
#include "quant/quantizer.h"
#include "runtime/session.h"
#include "test_data.h"
#include "test_paths.h"

namespace qplay {
namespace {

// Restores the thread count a test changed.
class ThreadPool : public ::testing::Test {
 protected:
  void TearDown() override { SetThreadCount(saved_); }
  const int saved_ = ThreadCount();
};

TEST_F(ThreadPool, EveryIndexRunsOnceWhateverTheSplit) {
  for (int threads : {1, 2, 3}) {
    SetThreadCount(threads);
    for (int64_t count : {0, 1, 7, 64, 1001})
      for (int64_t grain : {1, 5, 2000}) {
        std::vector<std::atomic<int>> runs(static_cast<size_t>(count));
        ParallelFor(count, grain, [&](int64_t begin, int64_t end) {
          EXPECT_LT(begin, end);
          for (int64_t i = begin; i < end; ++i) runs[static_cast<size_t>(i)]++;
        });
        for (int64_t i = 0; i < count; ++i) ASSERT_EQ(runs[static_cast<size_t>(i)], 1) << threads << " threads, " << count << "/" << grain;
      }
  }
}

TEST_F(ThreadPool, AnErrorInARangeReachesTheCallerAndThePoolGoesOn) {
  SetThreadCount(2);
  EXPECT_THROW(ParallelFor(100, 1, [](int64_t begin, int64_t) {
                 if (begin >= 50) throw std::runtime_error("range failed");
               }),
               std::runtime_error);
  std::atomic<int64_t> sum{0};
  ParallelFor(100, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) sum += i;
  });
  EXPECT_EQ(sum, 4950);
}

// Threads seen running the ranges of a loop long enough for every thread to wake.
std::set<std::thread::id> ThreadsOfALoop() {
  std::mutex mutex;
  std::set<std::thread::id> seen;
  ParallelFor(64, 1, [&](int64_t, int64_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::lock_guard<std::mutex> lock(mutex);
    seen.insert(std::this_thread::get_id());
  });
  return seen;
}

TEST_F(ThreadPool, LoweringTheCountLeavesTheExtraWorkersOut) {
  SetThreadCount(3);
  EXPECT_EQ(ThreadsOfALoop().size(), 3u);
  SetThreadCount(2);
  EXPECT_EQ(ThreadsOfALoop().size(), 2u);
  SetThreadCount(1);
  EXPECT_EQ(ThreadsOfALoop(), std::set<std::thread::id>{std::this_thread::get_id()});
}

TEST_F(ThreadPool, ALoopInsideALoopRunsOnItsCaller) {
  SetThreadCount(2);
  std::atomic<int64_t> inner{0};
  ParallelFor(8, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) ParallelFor(10, 1, [&](int64_t b, int64_t e) { inner += e - b; });
  });
  EXPECT_EQ(inner, 80);
}

std::vector<Tensor> RunAll(const Model& model, const TensorMap& inputs) {
  auto session = Session::Create(model, {.optimize = true});
  EXPECT_TRUE(session.ok()) << session.status().message();
  auto outputs = session->Run(inputs);
  EXPECT_TRUE(outputs.ok()) << outputs.status().message();
  std::vector<Tensor> values;
  for (auto& [name, value] : *outputs) values.push_back(value);
  return values;
}

bool SameBits(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].shape() != b[i].shape() || a[i].nbytes() != b[i].nbytes() || std::memcmp(a[i].raw(), b[i].raw(), a[i].nbytes()) != 0) return false;
  return true;
}

// Float and int8 convolutions, matrix products and the rest, at batch 1 and 64.
TEST_F(ThreadPool, TheExampleModelsGiveTheSameBitsOnOneTwoAndThreeThreads) {
  for (const char* name : {"cnn", "transformer"}) {
    const Model model = LoadModelFile(testing::SourcePath(std::string("examples/models/") + name + ".onnx")).value();
    const Tensor images = testing::LoadSourceNpy("examples/data/calibration_images.npy", 64);
    QuantizationConfig config;
    config.per_channel = true;
    auto quantized = Quantize(model, config, {{"", images}});
    ASSERT_TRUE(quantized.ok()) << quantized.status().message();
    for (int64_t batch : {1, 64}) {
      const TensorMap inputs = {{model.graph.inputs[0], images.SliceRows(0, batch)}};
      SetThreadCount(1);
      const auto float_one = RunAll(model, inputs), int8_one = RunAll(quantized->model, inputs);
      for (int threads : {2, 3}) {
        SetThreadCount(threads);
        EXPECT_TRUE(SameBits(RunAll(model, inputs), float_one)) << name << " float, batch " << batch << ", " << threads << " threads";
        EXPECT_TRUE(SameBits(RunAll(quantized->model, inputs), int8_one)) << name << " int8, batch " << batch << ", " << threads << " threads";
      }
    }
  }
}

}  // namespace
}  // namespace qplay
