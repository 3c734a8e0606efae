// StaticQuantizer: calibrates activation ranges on sample data, then writes a QDQ model
// the way ONNX Runtime's quantize_static does: QuantizeLinear/DequantizeLinear pairs on
// the activations of quantized nodes, weights stored as int8 (per tensor or per channel)
// behind a DequantizeLinear, int32 biases with scale = input scale x weight scale.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "onnx/model.h"
#include "passes/passes.h"
#include "quant/backend.h"
#include "quant/calibrator.h"
#include "quant/config.h"
#include "quant/qparams.h"

namespace qplay {

// A tensor the quantizer adjusted, or found suspect, and why.
struct QuantizationNote {
  enum class Kind { kAdjusted, kUnit, kWarning };
  Kind kind;
  std::string tensor;
  std::string node;     // the node it belongs to, or ""
  std::string message;  // what was done or found
};
const char* NoteKindName(QuantizationNote::Kind kind);  // "adjusted", "unit", "warning"

struct QuantizationResult {
  Model model;                                   // the quantized model (ExportModel writes it)
  std::vector<PassReport> passes;                // what the preparation passes changed
  std::vector<std::string> quantized_nodes;      // names of the nodes that run quantized
  std::map<std::string, QParams> activations;    // quantization parameters per activation tensor
  std::map<std::string, FloatRange> ranges;      // static: the calibrated range per activation
  std::vector<QuantizationNote> notes;           // adjusted or suspect tensors, for the report
};

// What every quantizer starts from: the config validated, and a copy of the model prepared
// (PrepareForQuantization, then cross-layer equalization and SmoothQuant when asked; SmoothQuant
// measures activations on `calibration`), with the passes' reports.
Result<QuantizationResult> StartQuantization(const Model& model, const QuantizationConfig& config,
                                             const SampleSet* calibration = nullptr);

Result<QuantizationResult> QuantizeStatic(const Model& model, const QuantizationConfig& config,
                                          const SampleSet& calibration, const ProgressFn& progress = {});

// The same with ranges calibrated before (QuantizationResult::ranges of a run on the same
// model, with no node excluded that is quantized here): no samples run again. Sensitivity
// analysis quantizes many variants of one model this way.
Result<QuantizationResult> QuantizeStaticWithRanges(const Model& model, const QuantizationConfig& config,
                                                    const std::map<std::string, FloatRange>& ranges);

// The axis of a node's weight that holds its output channels (the one per-channel
// quantization follows), or -1 when the node has no weight `backend` quantizes.
int64_t WeightChannelAxis(const Graph& graph, const Node& node, const QuantizationBackend& backend);

}  // namespace qplay
