// IR -> ModelProto (ExportModel). Only this file and model_io.cpp see protobuf types.
#include <algorithm>
#include <optional>
#include <set>

#include "onnx/half_precision_io.h"
#include "onnx/model.h"
#include "onnx/proto_store.h"
#include "onnx/tensor_proto.h"

namespace qplay {
namespace {

void WriteType(const ValueType& type, onnx::TypeProto* proto) {
  auto* tensor = proto->mutable_tensor_type();
  tensor->set_elem_type(static_cast<int32_t>(type.dtype));
  if (!type.shape) return;
  auto* shape = tensor->mutable_shape();
  for (const Dim& d : *type.shape) {
    auto* dim = shape->add_dim();
    if (d.known()) dim->set_dim_value(*d.value);
    else if (!d.symbol.empty()) dim->set_dim_param(d.symbol);
  }
}

void WriteValueInfo(const Graph& graph, const std::string& name, onnx::ValueInfoProto* proto) {
  proto->set_name(name);
  const ValueType* type = graph.TypeOf(name);
  if (type && type->is_tensor && type->dtype != DataType::kUndefined) WriteType(*type, proto->mutable_type());
}

// Where initializers of at least `threshold` bytes go when writing with external data.
struct DataSink {
  std::string location;
  std::vector<uint8_t> data;
  static constexpr int64_t kThreshold = 1024;
};

void WriteGraph(const Graph& graph, onnx::GraphProto* proto, DataSink* sink);

void WriteAttribute(const std::string& name, const Attribute& attr, onnx::AttributeProto* proto, DataSink* sink) {
  proto->set_name(name);
  switch (attr.kind) {
    case Attribute::Kind::kFloat: proto->set_type(onnx::AttributeProto::FLOAT), proto->set_f(attr.f); break;
    case Attribute::Kind::kInt: proto->set_type(onnx::AttributeProto::INT), proto->set_i(attr.i); break;
    case Attribute::Kind::kString: proto->set_type(onnx::AttributeProto::STRING), proto->set_s(attr.s); break;
    case Attribute::Kind::kTensor:
      proto->set_type(onnx::AttributeProto::TENSOR);
      *proto->mutable_t() = TensorToProto(attr.t, "");
      break;
    case Attribute::Kind::kGraph:
      proto->set_type(onnx::AttributeProto::GRAPH);
      WriteGraph(*attr.g, proto->mutable_g(), sink);
      break;
    case Attribute::Kind::kFloats:
      proto->set_type(onnx::AttributeProto::FLOATS);
      for (float f : attr.floats) proto->add_floats(f);
      break;
    case Attribute::Kind::kInts:
      proto->set_type(onnx::AttributeProto::INTS);
      for (int64_t i : attr.ints) proto->add_ints(i);
      break;
    case Attribute::Kind::kStrings:
      proto->set_type(onnx::AttributeProto::STRINGS);
      for (const auto& s : attr.strings) proto->add_strings(s);
      break;
    case Attribute::Kind::kOther: break;
  }
}

void WriteGraph(const Graph& graph, onnx::GraphProto* proto, DataSink* sink) {
  proto->set_name(graph.name);
  if (!graph.doc_string.empty()) proto->set_doc_string(graph.doc_string);
  for (const auto& name : graph.inputs) WriteValueInfo(graph, name, proto->add_input());
  for (const auto& name : graph.outputs) WriteValueInfo(graph, name, proto->add_output());
  for (const auto& [name, tensor] : graph.initializers)
    *proto->add_initializer() = sink && PackedBytes(tensor.dtype(), tensor.size()) >= DataSink::kThreshold
                                    ? TensorToExternalProto(tensor, name, sink->location, sink->data)
                                    : TensorToProto(tensor, name);
  std::set<std::string> listed(graph.inputs.begin(), graph.inputs.end());
  listed.insert(graph.outputs.begin(), graph.outputs.end());
  for (const Node& node : graph.nodes) {
    auto* n = proto->add_node();
    n->set_name(node.name);
    n->set_op_type(node.op_type);
    if (!node.domain.empty()) n->set_domain(node.domain);
    if (!node.doc_string.empty()) n->set_doc_string(node.doc_string);
    for (const auto& in : node.inputs) n->add_input(in);
    for (const auto& out : node.outputs) n->add_output(out);
    for (const auto& [name, attr] : node.attributes)
      if (attr.kind != Attribute::Kind::kOther) WriteAttribute(name, attr, n->add_attribute(), sink);
    for (const auto& out : node.outputs)
      if (!out.empty() && !listed.count(out) && graph.TypeOf(out)) WriteValueInfo(graph, out, proto->add_value_info());
  }
}

// Bytes of the graph's initializers, its subgraphs' included.
int64_t InitializerBytes(const Graph& graph) {
  int64_t bytes = 0;
  for (const auto& [_, t] : graph.initializers) bytes += PackedBytes(t.dtype(), t.size());
  for (const Node& node : graph.nodes)
    for (const auto& [_, attr] : node.attributes)
      if (attr.g) bytes += InitializerBytes(*attr.g);
  return bytes;
}

// Protobuf refuses messages of 2 GiB or more; the margin leaves room for the graph itself.
constexpr int64_t kInlineLimit = (int64_t{2} << 30) - (int64_t{64} << 20);

}  // namespace

Result<ExportedFiles> ExportModelFiles(const Model& model, ExternalData when, const std::string& data_location) {
  const int64_t weights = InitializerBytes(model.graph);
  const bool external = when == ExternalData::kAlways || (when == ExternalData::kAuto && weights > kInlineLimit);
  if (!external && weights > kInlineLimit)
    return Fail(StatusCode::kInvalidArgument, "the model's tensors take ", weights,
                " bytes, past the 2 GB a single ONNX file holds; save it with external data");
  onnx::ModelProto proto;
  if (model.proto) proto = model.proto->model;  // model-level fields, metadata, functions, unknown fields
  proto.set_ir_version(std::max<int64_t>(model.ir_version, 7));
  proto.clear_opset_import();
  for (const auto& [domain, version] : model.opsets) {
    auto* opset = proto.add_opset_import();
    opset->set_domain(domain);
    opset->set_version(version);
  }
  proto.clear_graph();
  DataSink sink{data_location, {}};
  std::optional<Graph> restored;  // only a half-precision file's graph needs a rewritten copy
  if (!model.half_precision_io.empty()) restored = WithHalfPrecisionIo(model.graph, model.half_precision_io);
  WriteGraph(restored ? *restored : model.graph, proto.mutable_graph(), external ? &sink : nullptr);
  ExportedFiles files;
  files.model.resize(proto.ByteSizeLong());
  if (!proto.SerializeToArray(files.model.data(), static_cast<int>(files.model.size())))
    return Fail(StatusCode::kInternal, "serializing the model failed");
  if (external) {
    files.data_location = data_location;
    files.data = std::move(sink.data);
  }
  return files;
}

Result<std::vector<uint8_t>> ExportModel(const Model& model) {
  auto files = ExportModelFiles(model, ExternalData::kNever, "");
  if (!files.ok()) return files.status();
  return std::move(files->model);
}

Result<int64_t> ExportedSize(const Model& model) {
  auto bytes = ExportModel(model);
  if (!bytes.ok()) return bytes.status();
  return static_cast<int64_t>(bytes->size());
}

}  // namespace qplay
