// IR -> ModelProto (ExportModel). Only this file and model_io.cpp see protobuf types.
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

void WriteGraph(const Graph& graph, onnx::GraphProto* proto);

void WriteAttribute(const std::string& name, const Attribute& attr, onnx::AttributeProto* proto) {
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
      WriteGraph(*attr.g, proto->mutable_g());
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

void WriteGraph(const Graph& graph, onnx::GraphProto* proto) {
  proto->set_name(graph.name);
  if (!graph.doc_string.empty()) proto->set_doc_string(graph.doc_string);
  for (const auto& name : graph.inputs) WriteValueInfo(graph, name, proto->add_input());
  for (const auto& name : graph.outputs) WriteValueInfo(graph, name, proto->add_output());
  for (const auto& [name, tensor] : graph.initializers) *proto->add_initializer() = TensorToProto(tensor, name);
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
      if (attr.kind != Attribute::Kind::kOther) WriteAttribute(name, attr, n->add_attribute());
    for (const auto& out : node.outputs)
      if (!out.empty() && !listed.count(out) && graph.TypeOf(out)) WriteValueInfo(graph, out, proto->add_value_info());
  }
}

}  // namespace

Result<std::vector<uint8_t>> ExportModel(const Model& model) {
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
  if (model.half_precision_io.empty()) WriteGraph(model.graph, proto.mutable_graph());
  else WriteGraph(WithHalfPrecisionIo(model.graph, model.half_precision_io), proto.mutable_graph());
  std::vector<uint8_t> bytes(proto.ByteSizeLong());
  if (!proto.SerializeToArray(bytes.data(), static_cast<int>(bytes.size())))
    return Fail(StatusCode::kInternal, "serializing the model failed");
  return bytes;
}

Result<int64_t> ExportedSize(const Model& model) {
  auto bytes = ExportModel(model);
  if (!bytes.ok()) return bytes.status();
  return static_cast<int64_t>(bytes->size());
}

}  // namespace qplay
