// Calibration memory does not grow with the number of samples: runs the calibrator over the
// bundled CNN's activations with 10 and with 1000 samples, for every method, and prints the
// most heap held between batches (observer state, beyond the samples themselves).
//   build/native/qplay_bench_observer_memory
#include <malloc.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "data/npy.h"
#include "onnx/model.h"
#include "quant/calibrator.h"

namespace {

using namespace qplay;

size_t HeapInUse() { return mallinfo2().uordblks; }

// The 200 calibration images repeated to `count` samples.
Tensor Samples(const Tensor& images, int64_t count) {
  Tensor out(DataType::kFloat, {count, 1, 28, 28});
  const size_t per_sample = images.nbytes() / static_cast<size_t>(images.dim(0));
  for (int64_t i = 0; i < count; ++i) std::memcpy(out.raw() + i * per_sample, images.raw() + (i % images.dim(0)) * per_sample, per_sample);
  return out;
}

}  // namespace

int main() {
  const std::string root = QPLAY_SOURCE_DIR;
  auto model = LoadModelFile(root + "/examples/models/cnn.onnx");
  auto bytes = ReadFileBytes(root + "/examples/data/calibration_images.npy");
  if (!model.ok() || !bytes.ok()) {
    std::fprintf(stderr, "run from a built checkout with examples/\n");
    return 1;
  }
  const Tensor images = ParseNpy(bytes->data(), bytes->size(), "calibration").value();
  std::vector<std::string> tensors = model->graph.inputs;
  for (const Node& node : model->graph.nodes) tensors.push_back(node.outputs[0]);

  // Warm-up: first-use allocations (kernel registry, shape caches) are not calibration memory.
  (void)Calibrate(*model, tensors, {{"input", Samples(images, 1)}}, CalibrationOptions{});

  std::printf("| method | heap held, 10 samples | heap held, 1000 samples | ratio |\n| --- | --- | --- | --- |\n");
  for (auto method : {CalibrationMethod::kMinMax, CalibrationMethod::kMovingAverage, CalibrationMethod::kPercentile,
                      CalibrationMethod::kEntropy, CalibrationMethod::kMse}) {
    double peak_kib[2];
    int column = 0;
    for (int64_t count : {10, 1000}) {
      const Tensor samples = Samples(images, count);
      const size_t baseline = HeapInUse();
      size_t peak = baseline;
      CalibrationOptions options;
      options.observer.method = method;
      auto ranges = Calibrate(*model, tensors, {{"input", samples}}, options, [&](int64_t, int64_t) {
        peak = std::max(peak, HeapInUse());
        return true;
      });
      if (!ranges.ok()) {
        std::fprintf(stderr, "%s\n", ranges.status().message().c_str());
        return 1;
      }
      peak_kib[column++] = static_cast<double>(peak - baseline) / 1024;
    }
    std::printf("| %s | %.0f KiB | %.0f KiB | %.2f |\n", CalibrationMethodName(method).c_str(), peak_kib[0], peak_kib[1],
                peak_kib[1] / peak_kib[0]);
  }
  return 0;
}
