#include "quant/backend.h"

#include "ops/schema.h"

namespace qplay {
namespace {

// The ai.onnx ops whose schemas say they only move elements: their outputs keep their input's parameters.
std::set<std::string> DataMovementOps() {
  std::set<std::string> ops;
  for (const OpSchema* schema : SchemaRegistry::Get().All())
    if (schema->domain().empty() && schema->quant().shares_input_params) ops.insert(schema->op_type());
  return ops;
}

QuantizationBackend OnnxRuntimeQdq() {
  QuantizationBackend b;
  b.name = "onnxruntime";
  b.description = "ONNX Runtime CPU, QDQ format, its quantize_static defaults: uint8 asymmetric activations, "
                  "int8 symmetric weights, per tensor unless per_channel is set";
  b.weighted_ops = {"Conv", "ConvTranspose", "Gemm", "MatMul"};
  // Its quantizer's registry (QDQRegistry and QLinearOpsRegistry) and the activations of newer
  // versions; the normalizations quantize their input and output, their scale and bias stay float.
  b.activation_ops = {"Add",     "Mul",       "Relu",      "Clip",   "LeakyRelu",          "Sigmoid",
                      "HardSigmoid", "HardSwish", "GlobalAveragePool", "AveragePool", "Softmax", "Where",
                      "ArgMax", "CumSum", "LayerNormalization", "InstanceNormalization", "BatchNormalization"};
  b.shares_input_params = DataMovementOps();
  b.shared_inputs_and_output = {"Concat"};
  // Its quantizer pins Softmax's output to scale 1/256 (zero point 0 for uint8, -128 for int8).
  b.fixed_output_ranges = {{"Softmax", {0.0f, 255.0f / 256}}};
  return b;
}

QuantizationBackend OnnxRuntimeQOperator() {
  QuantizationBackend b = OnnxRuntimeQdq();
  b.name = "onnxruntime-qoperator";
  b.description = "ONNX Runtime CPU, QOperator format: the same choices as its QDQ preset, written as QLinearConv, "
                  "QLinearMatMul and com.microsoft QGemm/QLinearAdd/QLinearMul/QLinearConcat/... with Q/DQ kept around "
                  "anything else";
  b.format = QuantFormat::kQOperator;
  return b;
}

QuantizationBackend TfLite() {
  QuantizationBackend b = OnnxRuntimeQdq();
  b.name = "tflite";
  b.description = "TFLite-style int8: int8 asymmetric activations, int8 symmetric per-channel weights in -127..127, "
                  "per-tensor weights for fully connected (Gemm/MatMul), fixed output ranges for Sigmoid, Softmax, Tanh";
  b.activation_type = DataType::kInt8;
  b.per_channel = true;
  b.per_tensor_ops = {"Gemm", "MatMul"};
  b.activation_ops.insert("Tanh");
  // TFLite: logistic and softmax outputs scale 1/256, zero point -128; tanh 1/128, zero point 0.
  b.fixed_output_ranges = {{"Sigmoid", {0.0f, 255.0f / 256}}, {"Softmax", {0.0f, 255.0f / 256}}, {"Tanh", {-1.0f, 127.0f / 128}}};
  return b;
}

QuantizationBackend TensorRt() {
  QuantizationBackend b;
  b.name = "tensorrt";
  b.description = "TensorRT-style explicit quantization: int8 symmetric activations and weights, per-channel weights, "
                  "Q/DQ on the inputs of Conv, Gemm, MatMul and residual Adds; pooling follows its input";
  b.activation_type = DataType::kInt8;
  b.activation_symmetric = true;
  b.per_channel = true;
  b.weighted_ops = {"Conv", "ConvTranspose", "Gemm", "MatMul"};
  b.activation_ops = {"Add", "GlobalAveragePool", "AveragePool"};
  b.shares_input_params = DataMovementOps();
  b.shared_inputs_and_output = {"Concat"};
  b.fuse_relu = false;
  b.quantize_constant_operands = false;  // bias and scaling constants stay float, fused by its builder
  return b;
}

QuantizationBackend Xnnpack() {
  QuantizationBackend b = TfLite();
  b.name = "xnnpack";
  b.description = "XNNPACK QS8: int8 asymmetric activations, int8 symmetric per-channel weights (fully connected too), "
                  "fixed output ranges for Sigmoid and Tanh as in its operators";
  b.per_tensor_ops.clear();
  b.fixed_output_ranges.erase("Softmax");
  return b;
}

}  // namespace

bool QuantizationBackend::SharesInputParams(const Graph& graph, const Node& node) const {
  if (!shares_input_params.count(node.op_type)) return false;
  const OpSchema* schema = SchemaRegistry::Get().Latest(node.domain, node.op_type);
  return schema && SharesInputParamsAt(schema->quant(), graph, node);
}

void QuantizationBackend::ApplyDefaults(QuantizationConfig& config) const {
  config.backend = name;
  config.format = format;
  config.activation_type = activation_type;
  config.activation_symmetric = activation_symmetric;
  config.weight_type = weight_type;
  config.weight_symmetric = weight_symmetric;
  config.per_channel = per_channel;
}

Result<QuantizationBackend> FindBackend(const std::string& name) {
  if (name == "onnxruntime") return OnnxRuntimeQdq();
  if (name == "onnxruntime-qoperator") return OnnxRuntimeQOperator();
  if (name == "tflite") return TfLite();
  if (name == "tensorrt") return TensorRt();
  if (name == "xnnpack") return Xnnpack();
  std::string names;
  for (const auto& n : BackendNames()) names += (names.empty() ? "" : ", ") + n;
  return Fail(StatusCode::kInvalidArgument, "unknown backend '", name, "'; expected one of ", names);
}

std::vector<std::string> BackendNames() { return {"onnxruntime", "onnxruntime-qoperator", "tflite", "tensorrt", "xnnpack"}; }

}  // namespace qplay
