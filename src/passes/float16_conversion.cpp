#include "passes/float16_conversion.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "ops/schema.h"
#include "ops/tensor_ops.h"

namespace qplay {
namespace {

bool IsQuantizedInteger(DataType type) {
  return type == DataType::kInt8 || type == DataType::kUint8 || IsSixteenBitInteger(type) || IsFourBit(type);
}

class Float16Converter {
 public:
  Float16Converter(const Model& model, const Float16Options& options, Float16Report& report)
      : model_(model), options_(options), report_(report) {}

  // Converts `graph`, whose outer-scope float values are held in float16 where `outer_half` says
  // so. With `io_float32`, the graph's own float inputs and outputs stay float32.
  void Convert(Graph& graph, const std::map<std::string, bool>& outer_half, bool io_float32) {
    graph_ = &graph;
    half_ = outer_half;
    for (const std::string& input : graph.inputs)
      if (IsFloat(input)) half_[input] = !io_float32;
    std::vector<bool> float32_nodes;
    for (Node& node : graph.nodes) {
      float32_nodes.push_back(ComputesInFloat32(node));
      if (float32_nodes.back()) ++report_.float32_nodes;
      ConvertAttributes(node, float32_nodes.back());
      for (size_t i = 0; i < node.outputs.size(); ++i)
        if (IsFloat(node.outputs[i])) half_[node.outputs[i]] = HoldsHalf(node, i, float32_nodes.back());
    }
    ConvertInitializers(graph, float32_nodes, io_float32);
    // Subgraphs see this graph's values as they are now held; a float32 node's bodies keep float32 edges.
    for (size_t n = 0; n < graph.nodes.size(); ++n)
      for (auto& [_, attr] : graph.nodes[n].attributes)
        if (attr.g) Float16Converter(model_, options_, report_).Convert(*attr.g, half_, float32_nodes[n]);
    InsertCasts(graph, float32_nodes, io_float32);
    for (auto& [name, half] : half_)
      if (half && graph.value_types.count(name)) graph.value_types[name].dtype = DataType::kFloat16;
  }

 private:
  bool IsFloat(const std::string& name) const {
    if (name.empty()) return false;
    if (half_.count(name)) return true;
    if (auto init = graph_->initializers.find(name); init != graph_->initializers.end())
      return init->second.dtype() == DataType::kFloat;
    const ValueType* type = graph_->TypeOf(name);
    return type && type->is_tensor && type->dtype == DataType::kFloat;
  }

  DataType TypeOf(const std::string& name) const {
    if (IsFloat(name)) return DataType::kFloat;
    if (auto init = graph_->initializers.find(name); init != graph_->initializers.end()) return init->second.dtype();
    const ValueType* type = graph_->TypeOf(name);
    return type ? type->dtype : DataType::kUndefined;
  }

  // Whether the node computes in float32 between casts: the schema or the caller keeps it, it is
  // a quantized op (8-bit tensors beside float scales), or qplay has no schema for it.
  bool ComputesInFloat32(const Node& node) const {
    if (IsOp(node, ops::kCast)) return options_.keep_float32.count(node.op_type) || options_.keep_float32.count(node.name);
    if (IsOp(node, ops::kConstant)) return !node.Has("value") && IsFloat(node.outputs[0]);  // value_float(s) stays float32
    if (options_.keep_float32.count(node.op_type) || (!node.name.empty() && options_.keep_float32.count(node.name))) return true;
    const OpSchema* schema = SchemaRegistry::Get().Find(node.domain, node.op_type, model_.Opset(node.domain));
    if (!schema || schema->KeptFloat32InFloat16Models()) return true;
    bool reads_float = false, quantized = false;
    for (const auto* names : {&node.inputs, &node.outputs})
      for (const std::string& name : *names) {
        const DataType type = TypeOf(name);
        reads_float |= type == DataType::kFloat;
        quantized |= IsQuantizedInteger(type);
      }
    return reads_float && quantized;
  }

  // Whether output `i` of `node` is held in float16.
  bool HoldsHalf(const Node& node, size_t i, bool float32_node) const {
    if (float32_node) return false;
    const OpSchema* schema = SchemaRegistry::Get().Find(node.domain, node.op_type, model_.Opset(node.domain));
    return !(schema && schema->Float32Output(i));
  }

  // Cast to float and Constant and ConstantOfShape holding float tensors now produce float16.
  void ConvertAttributes(Node& node, bool float32_node) {
    if (float32_node) return;
    if (IsOp(node, ops::kCast) && node.GetInt("to", 0) == static_cast<int64_t>(DataType::kFloat))
      node.attributes["to"] = Attribute::Int(static_cast<int64_t>(DataType::kFloat16));
    if (IsOp(node, ops::kConstant) || IsOp(node, ops::kConstantOfShape))
      if (auto value = node.attributes.find("value"); value != node.attributes.end() && value->second.t.dtype() == DataType::kFloat)
        value->second.t = ToHalf(value->second.t);
  }

  Tensor ToHalf(const Tensor& source) {
    ++report_.float16_weights;
    Tensor half(DataType::kFloat16, source.shape());
    const float* from = source.data<float>();
    auto* to = reinterpret_cast<uint16_t*>(half.raw());
    for (int64_t i = 0; i < source.size(); ++i) {
      float v = from[i];
      const float magnitude = std::fabs(v);
      if (magnitude > 0 && magnitude < options_.min_positive) v = std::copysign(options_.min_positive, v);
      else if (magnitude > options_.max_finite) v = std::copysign(options_.max_finite, v);
      to[i] = FloatToHalf(v);
    }
    return half;
  }

  // Float initializers become float16 unless only float32 nodes read them.
  void ConvertInitializers(Graph& graph, const std::vector<bool>& float32_nodes, bool io_float32) {
    std::map<std::string, bool> wanted_half;  // initializer -> some reader computes in float16
    for (const std::string& output : graph.outputs) wanted_half[output] = !io_float32;
    for (size_t n = 0; n < graph.nodes.size(); ++n)
      for (const std::string& name : ValuesRead(graph.nodes[n])) wanted_half[name] = wanted_half[name] || !float32_nodes[n];
    for (auto& [name, tensor] : graph.initializers) {
      if (tensor.dtype() != DataType::kFloat) continue;
      half_[name] = wanted_half[name];
      if (half_[name]) tensor = ToHalf(tensor);
    }
  }

  // The precision node `n` reads `name` in: float32 nodes read float32; Cast reads either.
  bool ReadsHalf(const Node& node, bool float32_node, const std::string& name) const {
    if (IsOp(node, ops::kCast)) return half_.at(name);
    return !float32_node;
  }

  // A Cast of `name` to the other precision, made once and placed before its first reader.
  std::string CastOf(Graph& graph, const std::string& name, bool to_half, std::vector<Node>& before) {
    const std::string key = name + (to_half ? "/half" : "/single");
    if (auto made = casts_.find(key); made != casts_.end()) return made->second;
    const DataType type = to_half ? DataType::kFloat16 : DataType::kFloat;
    const std::string cast = FreshName(graph, name + (to_half ? "_float16" : "_float32"));
    Node node = MakeNode(ops::kCast, cast, {name}, {cast});
    node.attributes["to"] = Attribute::Int(static_cast<int64_t>(type));
    before.push_back(std::move(node));
    ValueType value = graph.TypeOf(name) ? *graph.TypeOf(name) : ValueType{};
    value.dtype = type;
    graph.value_types[cast] = value;
    ++report_.casts;
    return casts_[key] = cast;
  }

  void InsertCasts(Graph& graph, const std::vector<bool>& float32_nodes, bool io_float32) {
    std::vector<Node> nodes;
    for (size_t n = 0; n < graph.nodes.size(); ++n) {
      Node node = graph.nodes[n];
      for (std::string& input : node.inputs) {
        if (!half_.count(input)) continue;
        const bool want = ReadsHalf(node, float32_nodes[n], input);
        if (half_.at(input) != want) input = CastOf(graph, input, want, nodes);
      }
      // A subgraph reads outer values in the precision they are held in (its own casts convert them).
      nodes.push_back(std::move(node));
    }
    // Graph outputs keep their names: the producer writes a renamed value that a Cast turns into the output.
    for (const std::string& output : graph.outputs) {
      if (!half_.count(output) || half_.at(output) == !io_float32 || graph.IsInitializer(output)) continue;
      auto producer = std::find_if(nodes.begin(), nodes.end(), [&](const Node& node) {
        return std::find(node.outputs.begin(), node.outputs.end(), output) != node.outputs.end();
      });
      if (producer == nodes.end()) continue;  // an input passed through keeps the input's type
      const std::string held = FreshName(graph, output + (half_.at(output) ? "_float16" : "_float32"));
      std::replace(producer->outputs.begin(), producer->outputs.end(), output, held);
      for (Node& reader : nodes) {
        std::replace(reader.inputs.begin(), reader.inputs.end(), output, held);
        for (auto& [_, attr] : reader.attributes)
          if (attr.g) ReplaceUses(*attr.g, output, held);
      }
      graph.value_types[held] = graph.value_types[output];
      half_[held] = half_.at(output);
      half_[output] = !io_float32;
      Node cast = MakeNode(ops::kCast, held + "_cast", {held}, {output});
      cast.attributes["to"] = Attribute::Int(static_cast<int64_t>(io_float32 ? DataType::kFloat : DataType::kFloat16));
      nodes.insert(producer + 1, std::move(cast));
      ++report_.casts;
    }
    graph.nodes = std::move(nodes);
  }

  const Model& model_;
  const Float16Options& options_;
  Graph* graph_ = nullptr;
  std::map<std::string, bool> half_;  // float value -> held in float16
  std::map<std::string, std::string> casts_;
  Float16Report& report_;
};

}  // namespace

Float16Report ConvertToFloat16(Model& model, const Float16Options& options) {
  Float16Report report;
  Float16Converter(model, options, report).Convert(model.graph, {}, options.keep_io_types);
  model.half_precision_io.clear();
  model.upcast_from.clear();
  return report;
}

}  // namespace qplay
