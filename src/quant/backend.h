// QuantizationBackend: the rules of a target runtime. A preset says which ops are quantized,
// which only pass their input's parameters on (data movement), which have fixed output
// parameters, whether Relu is fused into its producer's range, and the types, symmetry and
// granularity its kernels expect. ApplyDefaults() writes those into a config.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "ir/ir.h"
#include "quant/config.h"
#include "quant/qparams.h"

namespace qplay {

struct QuantizationBackend {
  std::string name;
  std::string description;
  QuantFormat format = QuantFormat::kQdq;
  DataType activation_type = DataType::kUint8;
  bool activation_symmetric = false;
  DataType weight_type = DataType::kInt8;
  bool weight_symmetric = true;
  bool per_channel = false;
  std::set<std::string> per_tensor_ops;      // weights of these ops stay per tensor even with per_channel
  std::set<std::string> weighted_ops;        // quantized with a weight (input 1) and bias (input 2)
  std::set<std::string> activation_ops;      // quantized on inputs and outputs
  std::set<std::string> shares_input_params; // output keeps the input's parameters
  std::set<std::string> shared_inputs_and_output;  // Concat: inputs and output share one set
  // Outputs with fixed parameters, as (real min, real max) of the op's output range.
  std::map<std::string, std::pair<float, float>> fixed_output_ranges;
  bool fuse_relu = true;  // drop Relu/Clip into the producer's quantization when ranges allow
  // Constant operands of Add and Mul (a MatMul's bias on 3-D inputs, GELU's 0.5) are stored
  // quantized with activation parameters, so the op runs as QLinearAdd/QLinearMul.
  bool quantize_constant_operands = true;

  bool Quantizes(const std::string& op) const {
    return weighted_ops.count(op) || activation_ops.count(op) || shares_input_params.count(op) ||
           shared_inputs_and_output.count(op);
  }
  // Whether `node`'s output keeps its input's parameters: its op is in shares_input_params and
  // this node of it only moves elements (Pad padding with a value other than 0 does not).
  bool SharesInputParams(const Graph& graph, const Node& node) const;
  // Sets the config's format, types, symmetry and granularity to the backend's.
  void ApplyDefaults(QuantizationConfig& config) const;
  QuantizationConfig Defaults() const {
    QuantizationConfig config;
    ApplyDefaults(config);
    return config;
  }
};

Result<QuantizationBackend> FindBackend(const std::string& name);
std::vector<std::string> BackendNames();

}  // namespace qplay
