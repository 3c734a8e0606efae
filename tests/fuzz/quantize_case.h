// One fuzzed quantization: the first byte picks the recipe (per channel, calibration method,
// activation type, QDQ or QOperator, static or dynamic); the rest is a model whose declared
// inputs are calibrated on two samples made from the bytes; the quantized model is run once.
// Shared by the fuzz_quantize harness and the regression corpus test.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "fuzz_inputs.h"
#include "onnx/model.h"
#include "quant/quantizer.h"
#include "runtime/session.h"

namespace qplay::fuzz {

inline QuantizationConfig Recipe(uint8_t bits) {
  static const CalibrationMethod kMethods[] = {CalibrationMethod::kMinMax, CalibrationMethod::kPercentile,
                                               CalibrationMethod::kEntropy, CalibrationMethod::kMse};
  QuantizationConfig config;
  config.per_channel = bits & 1;
  config.calibrate_method = kMethods[(bits >> 1) & 3];
  config.activation_type = bits & 8 ? DataType::kInt8 : DataType::kUint8;
  config.format = bits & 16 ? QuantFormat::kQOperator : QuantFormat::kQdq;
  config.mode = bits & 32 ? QuantMode::kDynamic : QuantMode::kStatic;
  return config;
}

inline void QuantizeCase(const uint8_t* data, size_t size) {
  constexpr size_t kMaxNodes = 64;
  if (size < 2) return;
  auto model = LoadModel(data + 1, size - 1, "fuzzed.onnx");
  if (!model.ok() || model->graph.nodes.size() > kMaxNodes) return;
  auto sample = InputsFor(model->graph, data, size);
  if (!sample) return;
  SampleSet calibration;
  for (auto& [name, t] : *sample) {
    if (t.rank() == 0 || t.dim(0) != 1) return;  // samples go along the first dim
    Shape two = t.shape();
    two[0] = 2;
    Tensor both(t.dtype(), two);
    if (t.nbytes()) {
      std::memcpy(both.raw(), t.raw(), t.nbytes());
      std::memcpy(both.raw() + t.nbytes(), t.raw(), t.nbytes());
    }
    calibration.emplace(name, std::move(both));
  }
  auto quantized = Quantize(*model, Recipe(data[0]), calibration);
  if (!quantized.ok()) return;
  auto session = Session::Create(quantized->model);
  if (session.ok()) (void)session->Run(*sample);
}

}  // namespace qplay::fuzz
