#include "onnx/half_precision_io.h"

#include <algorithm>

#include "ops/tensor_ops.h"

namespace qplay {
namespace {

Node Cast(const std::string& from, const std::string& to, DataType type) {
  Node cast = MakeNode(ops::kCast, "cast_" + from + "_to_" + DataTypeName(type), {from}, {to});
  cast.attributes["to"] = Attribute::Int(static_cast<int64_t>(type));
  return cast;
}

}  // namespace

Graph WithHalfPrecisionIo(const Graph& source, const std::map<std::string, DataType>& half_io) {
  Graph graph = source;
  std::vector<Node> input_casts;
  auto declare = [&](const std::string& name, DataType type) {
    ValueType& declared = graph.value_types[name];
    declared.dtype = type;
  };
  for (const std::string& input : source.inputs) {
    auto half = half_io.find(input);
    if (half == half_io.end() || source.IsInitializer(input)) continue;
    const std::string as_float = FreshName(graph, input + "_float32");
    ReplaceUses(graph, input, as_float);
    std::replace(graph.outputs.begin(), graph.outputs.end(), as_float, input);  // an input passed through stays itself
    graph.value_types[as_float] = graph.value_types[input];
    declare(input, half->second);
    input_casts.push_back(Cast(input, as_float, DataType::kFloat));
  }
  for (const std::string& output : source.outputs) {
    auto half = half_io.find(output);
    const bool produced = std::any_of(graph.nodes.begin(), graph.nodes.end(), [&](const Node& n) {
      return std::find(n.outputs.begin(), n.outputs.end(), output) != n.outputs.end();
    });
    if (half == half_io.end() || !produced) continue;
    const std::string as_float = FreshName(graph, output + "_float32");
    for (Node& node : graph.nodes) std::replace(node.outputs.begin(), node.outputs.end(), output, as_float);
    ReplaceUses(graph, output, as_float);
    std::replace(graph.outputs.begin(), graph.outputs.end(), as_float, output);
    graph.value_types[as_float] = graph.value_types[output];
    declare(output, half->second);
    graph.nodes.push_back(Cast(as_float, output, half->second));
  }
  graph.nodes.insert(graph.nodes.begin(), input_casts.begin(), input_casts.end());
  return graph;
}

}  // namespace qplay
