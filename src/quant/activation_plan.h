// The quantization parameters of every activation the StaticQuantizer quantizes: calibrated
// ranges become scale and zero point in each tensor's format (the config's, or its
// override's type and symmetry), then the backend's rules apply (data-movement outputs
// share their input's parameters, fixed output ranges, one set for Concat's inputs and
// output), and the user's fixed parameters win over all of them.
#pragma once
#include <map>
#include <set>
#include <string>

#include "ir/ir.h"
#include "quant/backend.h"
#include "quant/config.h"
#include "quant/qdq_writer.h"

namespace qplay {

struct ActivationPlan {
  std::map<std::string, QParams> params;
  std::map<std::string, TensorFormat> formats;
};

// `quantized` holds output[0] of every quantized node; `ranges` the calibrated activations.
Result<ActivationPlan> PlanActivations(const Graph& graph, const std::set<std::string>& quantized,
                                       const std::map<std::string, FloatRange>& ranges, const QuantizationConfig& config,
                                       const QuantizationBackend& backend);

// Relu/Clip nodes right after a quantized node whose output only they read, whose
// quantization can only represent values the activation passes unchanged: they are
// dropped, and the producer's output is quantized with their parameters (the
// QuantizeLinear clamps exactly as they would). Returns their output names.
std::set<std::string> FusibleActivations(const Graph& graph, const std::set<std::string>& quantized,
                                         const ActivationPlan& plan, int64_t opset, const QuantizationBackend& backend);

}  // namespace qplay
