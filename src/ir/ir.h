// The graph IR: what the runtime, the quantizers and the analyzers work on.
// Built from an ONNX GraphProto by onnx/reader; names are the ONNX value names.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace qplay {

struct Graph;

// A dimension is a number, a symbol ("batch"), or unknown (neither).
struct Dim {
  std::optional<int64_t> value;
  std::string symbol;
  static Dim Known(int64_t v) { return Dim{v, {}}; }
  static Dim Symbolic(std::string s) { return Dim{std::nullopt, std::move(s)}; }
  bool known() const { return value.has_value(); }
  std::string ToString() const;
};

struct ValueType {
  DataType dtype = DataType::kUndefined;
  std::optional<std::vector<Dim>> shape;  // nullopt: rank unknown
  bool is_tensor = true;                  // false for sequences, maps, optionals
  std::string ShapeString() const;
};

struct Attribute {
  enum class Kind { kFloat, kInt, kString, kTensor, kGraph, kFloats, kInts, kStrings, kOther };
  Kind kind = Kind::kOther;
  float f = 0;
  int64_t i = 0;
  std::string s;
  Tensor t;
  std::shared_ptr<Graph> g;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::string unreadable;  // why a tensor attribute could not be loaded (e.g. string type)

  static Attribute Int(int64_t value) {
    Attribute a;
    a.kind = Kind::kInt;
    a.i = value;
    return a;
  }
  static Attribute Float(float value) {
    Attribute a;
    a.kind = Kind::kFloat;
    a.f = value;
    return a;
  }
  static Attribute Ints(std::vector<int64_t> values) {
    Attribute a;
    a.kind = Kind::kInts;
    a.ints = std::move(values);
    return a;
  }
  static Attribute Floats(std::vector<float> values) {
    Attribute a;
    a.kind = Kind::kFloats;
    a.floats = std::move(values);
    return a;
  }
  static Attribute String(std::string value) {
    Attribute a;
    a.kind = Kind::kString;
    a.s = std::move(value);
    return a;
  }
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;                // "" for the default ONNX domain
  std::vector<std::string> inputs;   // "" marks an omitted optional input
  std::vector<std::string> outputs;
  std::map<std::string, Attribute> attributes;
  std::string doc_string;

  bool Has(const std::string& attr) const { return attributes.count(attr) > 0; }
  int64_t GetInt(const std::string& attr, int64_t fallback) const;
  float GetFloat(const std::string& attr, float fallback) const;
  std::string GetString(const std::string& attr, const std::string& fallback) const;
  std::vector<int64_t> GetInts(const std::string& attr, std::vector<int64_t> fallback = {}) const;
  std::vector<float> GetFloats(const std::string& attr, std::vector<float> fallback = {}) const;
  // "node 'conv1' (Conv)": how errors name a node.
  std::string Describe() const;
};

struct Graph {
  std::string name;
  std::string doc_string;
  std::vector<Node> nodes;                      // topological order after Reader
  std::vector<std::string> inputs;              // runtime inputs (initializers excluded)
  std::vector<std::string> outputs;
  std::map<std::string, Tensor> initializers;
  std::map<std::string, ValueType> value_types;  // inputs, outputs, value_info, inferred
  std::map<std::string, std::string> unreadable;  // initializers kept in the file but not loadable, with why

  bool IsInitializer(const std::string& name) const { return initializers.count(name) > 0; }
  const ValueType* TypeOf(const std::string& name) const;
  // Names used inside this graph (and its subgraphs) that it does not define itself.
  std::vector<std::string> OuterScopeNames() const;
};

// The values `node` reads: its inputs ("" marks an omitted one) and the outer-scope names its
// subgraphs (If branches, Loop and Scan bodies) use.
std::vector<std::string> ValuesRead(const Node& node);

// Replaces every read of `from` by `to` (in nodes, subgraphs and graph outputs).
void ReplaceUses(Graph& graph, const std::string& from, const std::string& to);
// A value name not used in the graph yet, built from `base`.
std::string FreshName(const Graph& graph, const std::string& base);

// Orders nodes so every value is produced before use. Fails naming the nodes on a
// cycle or the node and input that nothing produces. `outer` lists names visible from
// enclosing graphs (for If/Loop bodies).
Status TopologicalSort(Graph& graph, const std::vector<std::string>& outer = {});

}  // namespace qplay
