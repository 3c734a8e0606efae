// Static quantization of small models: the first byte picks the recipe (per channel,
// calibration method, activation type, QDQ or QOperator); the model's declared inputs are
// calibrated on two samples made from the bytes; the quantized model is run once.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "fuzz_inputs.h"
#include "onnx/model.h"
#include "quant/quantizer.h"
#include "runtime/session.h"

namespace {

constexpr size_t kMaxNodes = 64;

qplay::QuantizationConfig Recipe(uint8_t bits) {
  using qplay::CalibrationMethod;
  static const CalibrationMethod kMethods[] = {CalibrationMethod::kMinMax, CalibrationMethod::kPercentile,
                                               CalibrationMethod::kEntropy, CalibrationMethod::kMse};
  qplay::QuantizationConfig config;
  config.per_channel = bits & 1;
  config.calibrate_method = kMethods[(bits >> 1) & 3];
  config.activation_type = bits & 8 ? qplay::DataType::kInt8 : qplay::DataType::kUint8;
  config.format = bits & 16 ? qplay::QuantFormat::kQOperator : qplay::QuantFormat::kQdq;
  config.mode = bits & 32 ? qplay::QuantMode::kDynamic : qplay::QuantMode::kStatic;
  return config;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  qplay::fuzz::LimitWork();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  auto model = qplay::LoadModel(data + 1, size - 1, "fuzzed.onnx");
  if (!model.ok() || model->graph.nodes.size() > kMaxNodes) return 0;
  auto sample = qplay::fuzz::InputsFor(model->graph, data, size);
  if (!sample) return 0;
  qplay::SampleSet calibration;
  for (auto& [name, t] : *sample) {
    if (t.rank() == 0 || t.dim(0) != 1) return 0;  // samples go along the first dim
    qplay::Shape two = t.shape();
    two[0] = 2;
    qplay::Tensor both(t.dtype(), two);
    if (t.nbytes()) {
      std::memcpy(both.raw(), t.raw(), t.nbytes());
      std::memcpy(both.raw() + t.nbytes(), t.raw(), t.nbytes());
    }
    calibration.emplace(name, std::move(both));
  }
  auto quantized = qplay::Quantize(*model, Recipe(data[0]), calibration);
  if (!quantized.ok()) return 0;
  auto session = qplay::Session::Create(quantized->model);
  if (session.ok()) (void)session->Run(*sample);
  return 0;
}
