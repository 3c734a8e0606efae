// Everything qplay knows about an op, in one entry per (domain, op type, version range):
// inputs and outputs, attributes with their types, defaults and allowed values, type
// constraints, shape inference, the MAC count for profiling, quantization facts and which
// inputs training differentiates. Nodes are checked against their entry once, when a model
// loads (graph/shape_inference); kernels register against entries (kernels/registry).
// Trilu's entry in ops/tensor_ops.cpp is a short example. An op that other layers name gets an
// identity in its family's header (ops/op_type.h).
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/ir.h"
#include "ops/op_type.h"
#include "ops/value_info.h"

namespace qplay {

inline constexpr int64_t kLatestOpset = 22;

using AttrType = Attribute::Kind;

// Checks an attribute's value; returns "" when it is allowed, else what was expected
// ("each value >= 1", "one of forward, reverse, bidirectional"). `rank` is the rank of the
// node's first input when shape inference knows it, else -1.
using AttrCheck = std::function<std::string(const Attribute&, int64_t rank)>;

struct AttrSpec {
  std::string name;
  AttrType type;
  std::optional<Attribute> default_value;  // nullopt: required, unless `optional`
  bool optional = false;                   // may be absent without a default (Shape's start, Clip's min before opset 11)
  AttrCheck check;
};

enum ArgFlag { kRequired = 0, kOptional = 1, kVariadic = 2 };

struct ArgSpec {
  std::string name;
  std::string type_param;  // letter of a type constraint ("T"); inputs sharing it share one type; "" for none
  int flags = kRequired;
};

// For an op that only clamps (Relu, Clip): the range it passes unchanged, from the node and its
// constant inputs (nullptr where an input is absent or not constant); nullopt when a bound is
// not known before running.
using ClampFn = std::optional<std::pair<float, float>> (*)(const Node& node, int64_t opset,
                                                          const std::vector<const Tensor*>& constants);

// What the quantizers need to know about an op, whatever the target runtime.
struct QuantFacts {
  // The weight input, and the axis of the weight that indexes output channels (per-channel
  // scales run along it). -1 when the op has no weight input.
  int64_t weight_input = -1;
  int64_t (*weight_channel_axis)(const Node& node, const Shape& weight) = nullptr;
  int64_t bias_input = -1;
  // Moves or selects elements without changing values: its output can keep its input's
  // quantization parameters.
  bool shares_input_params = false;
  // Where set, only the nodes it accepts move elements exactly (Pad that copies or pads with
  // zero, nearest Resize); the others are quantized with parameters of their own.
  bool (*shares_input_params_if)(const Graph& graph, const Node& node) = nullptr;
  // Values the output cannot leave (Sigmoid [0, 1], Tanh [-1, 1]); a backend may fix its
  // output's parameters to it.
  std::optional<std::pair<float, float>> output_range;
  // ONNX Runtime's com.microsoft op that runs it on 8-bit operands, each given as (X, X_scale,
  // X_zero_point), with the output's scale and zero point last (an empty type when there is none).
  OpType qlinear_form;
  // Set for ops that only clamp: a quantized producer's range can absorb them.
  ClampFn clamp = nullptr;
  // f(s * x) = s * f(x) for a positive scale per channel (Relu, MaxPool): cross-layer
  // equalization may rescale channels across it.
  bool commutes_with_channel_scale = false;
};

// Whether `node` of an op with these facts only moves elements, so that its output can keep its
// input's parameters.
inline bool SharesInputParamsAt(const QuantFacts& facts, const Graph& graph, const Node& node) {
  return facts.shares_input_params && (!facts.shares_input_params_if || facts.shares_input_params_if(graph, node));
}

inline QuantFacts OutputRange(float lo, float hi) {
  QuantFacts q;
  q.output_range = std::pair{lo, hi};
  return q;
}
inline QuantFacts SharesInputParams(bool (*only_if)(const Graph&, const Node&) = nullptr) {
  QuantFacts q;
  q.shares_input_params = true;
  q.shares_input_params_if = only_if;
  return q;
}
inline QuantFacts Weighted(int64_t weight, int64_t (*channel_axis)(const Node&, const Shape&), int64_t bias) {
  QuantFacts q;
  q.weight_input = weight;
  q.weight_channel_axis = channel_axis;
  q.bias_input = bias;
  return q;
}

// What profiling counts for one run of a node: multiply-accumulates from its shapes.
using MacsFn = int64_t (*)(const Node& node, const std::vector<Shape>& inputs, const std::vector<Shape>& outputs);
using InferFn = std::vector<ValueInfo> (*)(InferContext& ctx);

class OpSchema {
 public:
  OpSchema(std::string op_type, int64_t since, std::string domain = "");

  OpSchema& Until(int64_t version) { until_ = version; return *this; }
  OpSchema& Input(std::string name, std::string type_param, int flags = kRequired);
  OpSchema& Output(std::string name, std::string type_param, int flags = kRequired);
  OpSchema& Attr(std::string name, AttrType type, std::optional<Attribute> default_value = std::nullopt,
                 AttrCheck check = nullptr);
  // An attribute that may be absent and has no default (its absence means something).
  OpSchema& OptionalAttr(std::string name, AttrType type, AttrCheck check = nullptr);
  OpSchema& Types(const std::string& type_param, std::vector<DataType> allowed);
  OpSchema& Infer(InferFn fn) { infer_ = fn; return *this; }
  OpSchema& Macs(MacsFn fn) { macs_ = fn; return *this; }
  // At inference, output 0 is input 0 when `fn` says so of a node in its graph (Identity;
  // Dropout whose mask nothing reads).
  OpSchema& PassesInputThrough(bool (*fn)(const Graph&, const Node&)) { passes_input_through_ = fn; return *this; }
  OpSchema& Quant(QuantFacts facts) { quant_ = std::move(facts); return *this; }
  OpSchema& QLinearForm(OpType op) { quant_.qlinear_form = op; return *this; }
  OpSchema& Clamp(ClampFn fn) { quant_.clamp = fn; return *this; }
  OpSchema& CommutesWithChannelScale() { quant_.commutes_with_channel_scale = true; return *this; }
  // Inputs that training's backward pass reaches (a bit per input index; kAllInputs for
  // every input of a variadic op).
  OpSchema& Gradient(uint64_t inputs) { gradient_inputs_ = inputs; return *this; }
  // Its output depends on shapes, integers and attributes only (Shape, Constant, Range):
  // training passes no gradient through it and needs none.
  OpSchema& NeedsNoGradient() { needs_no_gradient_ = true; return *this; }
  // Converting a model to float16 (passes/float16_conversion): the op computes in float32 between
  // casts, as onnxconverter-common's float16 tool keeps it by default (TopK, Resize, Min).
  OpSchema& KeptFloat32InFloat16Models() { kept_float32_in_float16_ = true; return *this; }
  // Outputs ONNX fixes at float32 whatever the op computes in (LayerNormalization's mean).
  OpSchema& Float32Outputs(uint64_t outputs) { float32_outputs_ = outputs; return *this; }

  const std::string& domain() const { return domain_; }
  const std::string& op_type() const { return op_type_; }
  int64_t since() const { return since_; }
  int64_t until() const { return until_; }
  const std::vector<ArgSpec>& inputs() const { return inputs_; }
  const std::vector<ArgSpec>& outputs() const { return outputs_; }
  const std::vector<AttrSpec>& attributes() const { return attributes_; }
  InferFn infer() const { return infer_; }
  MacsFn macs() const { return macs_; }
  const QuantFacts& quant() const { return quant_; }
  bool PassesInputThrough(const Graph& graph, const Node& node) const {
    return passes_input_through_ && passes_input_through_(graph, node);
  }
  bool HasGradient() const { return gradient_inputs_ != 0; }
  bool GradientReaches(size_t input) const { return input < 64 && (gradient_inputs_ >> input) & 1; }
  bool NeedsNoGradient() const { return needs_no_gradient_; }
  bool KeptFloat32InFloat16Models() const { return kept_float32_in_float16_; }
  bool Float32Output(size_t output) const { return output < 64 && (float32_outputs_ >> output) & 1; }

  // Checks a node's arity, attributes and known input types against this entry; the error
  // names the node, the input, output or attribute, and what was expected.
  Status Validate(const Node& node, const std::vector<ValueInfo>& inputs) const;
  // The attribute's value on the node, or its default.
  const Attribute* AttrOrDefault(const Node& node, const std::string& name) const;

  std::string Describe() const;  // "Conv (ai.onnx 11-22)"

 private:
  Status ValidateArity(const Node& node) const;
  Status ValidateAttributes(const Node& node, int64_t rank) const;
  Status ValidateTypes(const Node& node, const std::vector<ValueInfo>& inputs) const;

  std::string op_type_, domain_;
  int64_t since_, until_ = kLatestOpset;
  std::vector<ArgSpec> inputs_, outputs_;
  std::vector<AttrSpec> attributes_;
  std::map<std::string, std::vector<DataType>> types_;
  InferFn infer_ = nullptr;
  MacsFn macs_ = nullptr;
  bool (*passes_input_through_)(const Graph&, const Node&) = nullptr;
  QuantFacts quant_;
  uint64_t gradient_inputs_ = 0;
  bool needs_no_gradient_ = false;
  bool kept_float32_in_float16_ = false;
  uint64_t float32_outputs_ = 0;
};

inline constexpr uint64_t kAllInputs = ~uint64_t{0};
inline constexpr uint64_t Inputs(std::initializer_list<int> indices) {
  uint64_t bits = 0;
  for (int i : indices) bits |= uint64_t{1} << i;
  return bits;
}

class SchemaRegistry {
 public:
  static const SchemaRegistry& Get();

  void Add(OpSchema schema);
  // The entry for `op_type` in `domain` at the version the model imports, or nullptr.
  const OpSchema* Find(const std::string& domain, const std::string& op_type, int64_t opset) const;
  // The newest entry of the op: for facts that no version changed (quantization, gradients).
  const OpSchema* Latest(const std::string& domain, const std::string& op_type) const;
  std::vector<const OpSchema*> All() const;

 private:
  std::map<std::pair<std::string, std::string>, std::vector<OpSchema>> schemas_;
};

// True when `node`'s op only clamps its input (its schema has a clamp range).
bool IsClamp(const Node& node);
// The range `node` passes unchanged when its op only clamps, reading constant inputs through
// `constant` (nullptr for values not known before running); nullopt otherwise.
std::optional<std::pair<float, float>> ClampRange(const Node& node, int64_t opset,
                                                  const std::function<const Tensor*(const std::string&)>& constant);

// Common type constraint sets.
extern const std::vector<DataType> kFloatTypes;    // float16, bfloat16, float, double
extern const std::vector<DataType> kNumericTypes;  // every integer and float type
extern const std::vector<DataType> kAnyTensorType;  // every element type
extern const std::vector<DataType> kInt8Types;     // int8, uint8
extern const std::vector<DataType> kIndexTypes;    // int32, int64

// Common attribute checks.
AttrCheck AtLeast(int64_t min);                     // an int, or each of a list of ints
AttrCheck OneOfInts(std::vector<int64_t> allowed);
AttrCheck OneOfStrings(std::vector<std::string> allowed);
AttrCheck AxisInRank(int64_t extra = 0);            // -r-extra <= axis < r+extra, r the first input's rank
AttrCheck AxesInRank(int64_t extra = 0);            // each axis so, and no axis twice
AttrCheck Permutation();                            // a permutation of 0..r-1
AttrCheck Positive();                               // a float > 0

// One Register*Schemas per op family (ops/*.cpp); schema.cpp calls them all.
void RegisterElementwiseSchemas(SchemaRegistry& r);
void RegisterActivationSchemas(SchemaRegistry& r);
void RegisterShapeSchemas(SchemaRegistry& r);
void RegisterTensorSchemas(SchemaRegistry& r);
void RegisterReduceSchemas(SchemaRegistry& r);
void RegisterMatMulSchemas(SchemaRegistry& r);
void RegisterBlockQuantizedSchemas(SchemaRegistry& r);
void RegisterAttentionSchemas(SchemaRegistry& r);
void RegisterEmbeddingSchemas(SchemaRegistry& r);
void RegisterRotaryEmbeddingSchemas(SchemaRegistry& r);
void RegisterConvSchemas(SchemaRegistry& r);
void RegisterPoolSchemas(SchemaRegistry& r);
void RegisterNormalizationSchemas(SchemaRegistry& r);
void RegisterResizeSchemas(SchemaRegistry& r);
void RegisterQuantizeSchemas(SchemaRegistry& r);
void RegisterRecurrentSchemas(SchemaRegistry& r);
void RegisterControlFlowSchemas(SchemaRegistry& r);
void RegisterQLinearContribSchemas(SchemaRegistry& r);
void RegisterDetectionSchemas(SchemaRegistry& r);

}  // namespace qplay
