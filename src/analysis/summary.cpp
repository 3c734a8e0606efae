#include "analysis/summary.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "runtime/session.h"

namespace qplay {
namespace {

ValueSummary DescribeValue(const Graph& graph, const std::string& name) {
  ValueSummary v{name, "unknown", {}};
  if (const ValueType* type = graph.TypeOf(name)) {
    v.dtype = type->is_tensor ? DataTypeName(type->dtype) : "non-tensor";
    v.shape = type->shape;
  }
  return v;
}

// Ops and parameters of a graph and its subgraphs (If branches and Loop bodies hold weights too).
void Count(const Graph& graph, ModelSummary& s) {
  for (const auto& [_, tensor] : graph.initializers) {
    s.parameter_count += tensor.size();
    s.parameter_bytes += PackedBytes(tensor.dtype(), tensor.size());
  }
  for (const Node& node : graph.nodes) {
    ++s.op_histogram[node.domain.empty() ? node.op_type : node.domain + "." + node.op_type];
    ++s.node_count;
    for (const auto& [_, attr] : node.attributes)
      if (attr.g) Count(*attr.g, s);
  }
}

nlohmann::json ValuesToJson(const std::vector<ValueSummary>& values) {
  auto out = nlohmann::json::array();
  for (const auto& v : values) {
    nlohmann::json shape = nullptr;  // unknown rank
    if (v.shape) {
      shape = nlohmann::json::array();
      for (const Dim& d : *v.shape) shape.push_back(d.known() ? nlohmann::json(*d.value) : nlohmann::json(d.ToString()));
    }
    out.push_back({{"name", v.name}, {"dtype", v.dtype}, {"shape", shape}});
  }
  return out;
}

}  // namespace

ModelSummary Summarize(const Model& model) {
  ModelSummary s;
  s.graph_name = model.graph.name;
  s.producer = model.producer_name + (model.producer_version.empty() ? "" : " " + model.producer_version);
  s.ir_version = model.ir_version;
  for (const auto& [domain, version] : model.opsets) s.opsets[domain.empty() ? "ai.onnx" : domain] = version;
  for (const auto& name : model.graph.inputs) s.inputs.push_back(DescribeValue(model.graph, name));
  for (const auto& name : model.graph.outputs) s.outputs.push_back(DescribeValue(model.graph, name));
  Count(model.graph, s);
  s.unsupported = UnsupportedNodes(model);
  s.upcast_from = model.upcast_from;
  return s;
}

std::string SummaryToJson(const ModelSummary& s) {
  nlohmann::json j = {
      {"graph_name", s.graph_name},     {"producer", s.producer},
      {"ir_version", s.ir_version},     {"opsets", s.opsets},
      {"inputs", ValuesToJson(s.inputs)}, {"outputs", ValuesToJson(s.outputs)},
      {"node_count", s.node_count},     {"op_histogram", s.op_histogram},
      {"parameter_count", s.parameter_count}, {"parameter_bytes", s.parameter_bytes},
      {"unsupported", s.unsupported},   {"upcast_from", s.upcast_from},
  };
  return j.dump(2);
}

std::string SummaryToText(const ModelSummary& s) {
  std::ostringstream out;
  auto values = [&](const char* title, const std::vector<ValueSummary>& vs) {
    out << title << ":\n";
    for (const auto& v : vs) {
      out << "  " << v.name << ": " << v.dtype << " " << ValueType{DataType::kUndefined, v.shape}.ShapeString() << "\n";
    }
  };
  out << "graph: " << s.graph_name << " (producer " << s.producer << ", ir_version " << s.ir_version << ")\nopsets:";
  for (const auto& [domain, version] : s.opsets) out << " " << domain << "=" << version;
  out << "\n";
  values("inputs", s.inputs);
  values("outputs", s.outputs);
  out << "nodes: " << s.node_count << "\nops:";
  for (const auto& [op, count] : s.op_histogram) out << " " << op << ":" << count;
  out << "\nparameters: " << s.parameter_count << " (" << s.parameter_bytes << " bytes)\n";
  if (!s.upcast_from.empty()) out << "precision: " << s.upcast_from << " in the file, computed in float32\n";
  if (s.unsupported.empty()) out << "runnable: yes\n";
  for (const auto& line : s.unsupported) out << "cannot run: " << line << "\n";
  return out.str();
}

}  // namespace qplay
