// Builds small ONNX models in memory for tests, directly as protobuf.
#pragma once
#include <string>
#include <vector>

#include "onnx_schema/onnx.pb.h"

namespace qplay::testing {

class ModelBuilder {
 public:
  explicit ModelBuilder(int64_t opset = 13) {
    model_.set_ir_version(8);
    model_.set_producer_name("qplay-tests");
    auto* op = model_.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
    model_.mutable_graph()->set_name("test");
  }

  // Also imports `domain` (com.microsoft for ONNX Runtime's contrib ops).
  ModelBuilder& Import(const std::string& domain, int64_t version) {
    auto* op = model_.add_opset_import();
    op->set_domain(domain);
    op->set_version(version);
    return *this;
  }
  ModelBuilder& Input(const std::string& name, std::vector<int64_t> dims, int elem_type = onnx::TensorProto::FLOAT) {
    Describe(graph()->add_input(), name, dims, elem_type);
    return *this;
  }
  ModelBuilder& Output(const std::string& name, std::vector<int64_t> dims = {}, int elem_type = onnx::TensorProto::FLOAT) {
    Describe(graph()->add_output(), name, dims, elem_type);
    return *this;
  }
  ModelBuilder& Initializer(const std::string& name, std::vector<int64_t> dims, std::vector<float> values) {
    auto* t = graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) t->add_dims(d);
    for (auto v : values) t->add_float_data(v);
    return *this;
  }
  onnx::NodeProto* Node(const std::string& op, std::vector<std::string> inputs, std::vector<std::string> outputs,
                        const std::string& name = "") {
    auto* n = graph()->add_node();
    n->set_op_type(op);
    n->set_name(name.empty() ? op + "_" + std::to_string(graph()->node_size()) : name);
    for (auto& i : inputs) n->add_input(i);
    for (auto& o : outputs) n->add_output(o);
    return n;
  }

  onnx::GraphProto* graph() { return model_.mutable_graph(); }
  onnx::ModelProto& proto() { return model_; }
  std::string Bytes() const { return model_.SerializeAsString(); }

 private:
  static void Describe(onnx::ValueInfoProto* v, const std::string& name, const std::vector<int64_t>& dims, int elem_type) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(elem_type);
    auto* shape = t->mutable_shape();
    for (auto d : dims) {
      auto* dim = shape->add_dim();
      if (d >= 0) dim->set_dim_value(d);
      else dim->set_dim_param("batch");
    }
  }
  onnx::ModelProto model_;
};

// A subgraph attribute (an If branch, a Loop body) on a node the builder made.
inline onnx::GraphProto* SetGraph(onnx::NodeProto* node, const std::string& name) {
  auto* attr = node->add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::GRAPH);
  auto* g = attr->mutable_g();
  g->set_name(name);
  return g;
}

// Attributes on a node the builder made.
inline void SetInt(onnx::NodeProto* node, const std::string& name, int64_t value) {
  auto* attr = node->add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::INT);
  attr->set_i(value);
}
inline void SetInts(onnx::NodeProto* node, const std::string& name, const std::vector<int64_t>& values) {
  auto* attr = node->add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) attr->add_ints(v);
}
inline void SetString(onnx::NodeProto* node, const std::string& name, const std::string& value) {
  auto* attr = node->add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::STRING);
  attr->set_s(value);
}
inline void SetFloat(onnx::NodeProto* node, const std::string& name, float value) {
  auto* attr = node->add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::FLOAT);
  attr->set_f(value);
}
inline void SetFloats(onnx::NodeProto* node, const std::string& name, const std::vector<float>& values) {
  auto* attr = node->add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::FLOATS);
  for (float v : values) attr->add_floats(v);
}

}  // namespace qplay::testing
