#include "ops/schema.h"

#include <algorithm>
#include <set>
#include <sstream>

namespace qplay {

const std::vector<DataType> kFloatTypes = {DataType::kFloat16, DataType::kBfloat16, DataType::kFloat, DataType::kDouble};
const std::vector<DataType> kNumericTypes = {
    DataType::kUint8,  DataType::kInt8,   DataType::kUint16, DataType::kInt16,   DataType::kUint32,   DataType::kInt32,
    DataType::kUint64, DataType::kInt64,  DataType::kFloat16, DataType::kBfloat16, DataType::kFloat, DataType::kDouble};
const std::vector<DataType> kAnyTensorType = {};  // empty: no constraint
const std::vector<DataType> kInt8Types = {DataType::kInt8, DataType::kUint8};
const std::vector<DataType> kIndexTypes = {DataType::kInt32, DataType::kInt64};

namespace {

std::string KindName(AttrType kind) {
  switch (kind) {
    case AttrType::kFloat: return "float";
    case AttrType::kInt: return "int";
    case AttrType::kString: return "string";
    case AttrType::kTensor: return "tensor";
    case AttrType::kGraph: return "graph";
    case AttrType::kFloats: return "floats";
    case AttrType::kInts: return "ints";
    case AttrType::kStrings: return "strings";
    default: return "other";
  }
}

template <typename T>
std::string List(const std::vector<T>& values) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < values.size(); ++i) out << (i ? ", " : "") << values[i];
  out << "]";
  return out.str();
}

std::string ValueString(const Attribute& a) {
  switch (a.kind) {
    case AttrType::kInt: return std::to_string(a.i);
    case AttrType::kFloat: {
      std::ostringstream out;
      out << a.f;
      return out.str();
    }
    case AttrType::kString: return "'" + a.s + "'";
    case AttrType::kInts: return List(a.ints);
    case AttrType::kFloats: return List(a.floats);
    case AttrType::kStrings: return List(a.strings);
    default: return KindName(a.kind);
  }
}

std::vector<int64_t> IntsOf(const Attribute& a) { return a.kind == AttrType::kInts ? a.ints : std::vector<int64_t>{a.i}; }

const std::vector<ArgSpec>& Args(const OpSchema& s, bool outputs) { return outputs ? s.outputs() : s.inputs(); }

// The error for a node whose inputs (or outputs) do not fit the entry's list.
Status CheckArgs(const OpSchema& schema, const Node& node, bool outputs) {
  const auto& specs = Args(schema, outputs);
  const auto& given = outputs ? node.outputs : node.inputs;
  const char* what = outputs ? "output" : "input";
  const bool variadic = !specs.empty() && (specs.back().flags & kVariadic);
  size_t last_given = 0;  // trailing "" names omit optional arguments
  for (size_t i = 0; i < given.size(); ++i)
    if (!given[i].empty()) last_given = i + 1;
  if (!variadic && last_given > specs.size())
    return Fail(StatusCode::kInvalidModel, node.Describe(), ": ", schema.op_type(), " takes at most ", specs.size(), " ",
                what, "s; got ", last_given);
  for (size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].flags & kOptional) continue;
    if (!outputs && (i >= given.size() || given[i].empty()))
      return Fail(StatusCode::kInvalidModel, node.Describe(), ": required input ", i, " ('", specs[i].name,
                  "') is missing");
    if (outputs && i >= given.size())
      return Fail(StatusCode::kInvalidModel, node.Describe(), ": required output ", i, " ('", specs[i].name,
                  "') is missing");
  }
  return Status::Ok();
}

}  // namespace

OpSchema::OpSchema(std::string op_type, int64_t since, std::string domain)
    : op_type_(std::move(op_type)), domain_(std::move(domain)), since_(since) {}

OpSchema& OpSchema::Input(std::string name, std::string type_param, int flags) {
  inputs_.push_back({std::move(name), std::move(type_param), flags});
  return *this;
}

OpSchema& OpSchema::Output(std::string name, std::string type_param, int flags) {
  outputs_.push_back({std::move(name), std::move(type_param), flags});
  return *this;
}

OpSchema& OpSchema::Attr(std::string name, AttrType type, std::optional<Attribute> default_value, AttrCheck check) {
  if (default_value) default_value->kind = type;
  attributes_.push_back({std::move(name), type, std::move(default_value), false, std::move(check)});
  return *this;
}

OpSchema& OpSchema::OptionalAttr(std::string name, AttrType type, AttrCheck check) {
  attributes_.push_back({std::move(name), type, std::nullopt, true, std::move(check)});
  return *this;
}

OpSchema& OpSchema::Types(const std::string& type_param, std::vector<DataType> allowed) {
  types_[type_param] = std::move(allowed);
  return *this;
}

const Attribute* OpSchema::AttrOrDefault(const Node& node, const std::string& name) const {
  auto given = node.attributes.find(name);
  if (given != node.attributes.end()) return &given->second;
  for (const AttrSpec& spec : attributes_)
    if (spec.name == name && spec.default_value) return &*spec.default_value;
  return nullptr;
}

std::string OpSchema::Describe() const {
  std::ostringstream out;
  out << op_type_ << " (" << (domain_.empty() ? "ai.onnx" : domain_) << " " << since_;
  if (until_ != since_) out << "-" << until_;
  out << ")";
  return out.str();
}

Status OpSchema::Validate(const Node& node, const std::vector<ValueInfo>& inputs) const {
  QPLAY_RETURN_IF_ERROR(ValidateArity(node));
  QPLAY_RETURN_IF_ERROR(ValidateAttributes(node, inputs.empty() ? -1 : inputs[0].rank()));
  return ValidateTypes(node, inputs);
}

Status OpSchema::ValidateArity(const Node& node) const {
  QPLAY_RETURN_IF_ERROR(CheckArgs(*this, node, false));
  return CheckArgs(*this, node, true);
}

Status OpSchema::ValidateAttributes(const Node& node, int64_t rank) const {
  for (const auto& given : node.attributes) {
    const std::string& name = given.first;
    const Attribute& value = given.second;
    auto spec = std::find_if(attributes_.begin(), attributes_.end(), [&](const AttrSpec& s) { return s.name == name; });
    if (spec == attributes_.end()) {
      std::string known;
      for (const AttrSpec& s : attributes_) known += (known.empty() ? "" : ", ") + s.name;
      return Fail(StatusCode::kInvalidModel, node.Describe(), ": ", Describe(), " has no attribute '", name, "'",
                  known.empty() ? std::string(" (it takes none)") : "; it takes " + known);
    }
    // Some exporters write a one-element list where an int is expected, or an int for a list.
    const bool int_for_ints = spec->type == AttrType::kInts && value.kind == AttrType::kInt;
    if (value.kind != spec->type && !int_for_ints)
      return Fail(StatusCode::kInvalidModel, node.Describe(), ": attribute '", name, "' must be ", KindName(spec->type),
                  "; got ", KindName(value.kind));
    if (spec->check) {
      Attribute as_declared = value;
      if (int_for_ints) as_declared = Attribute::Ints({value.i});
      const std::string expected = spec->check(as_declared, rank);
      if (!expected.empty())
        return Fail(StatusCode::kInvalidModel, node.Describe(), ": attribute '", name, "' must be ", expected, "; got ",
                    ValueString(value));
    }
  }
  for (const AttrSpec& spec : attributes_)
    if (!spec.default_value && !spec.optional && !node.Has(spec.name))
      return Fail(StatusCode::kInvalidModel, node.Describe(), ": required attribute '", spec.name, "' is missing");
  return Status::Ok();
}

Status OpSchema::ValidateTypes(const Node& node, const std::vector<ValueInfo>& inputs) const {
  std::map<std::string, std::pair<DataType, size_t>> bound;  // type parameter -> first input's type
  for (size_t i = 0; i < inputs.size() && i < node.inputs.size(); ++i) {
    if (node.inputs[i].empty() || inputs[i].dtype == DataType::kUndefined || inputs_.empty()) continue;
    const ArgSpec& spec = inputs_[std::min(i, inputs_.size() - 1)];
    if (spec.type_param.empty()) continue;
    const DataType type = inputs[i].dtype;
    auto allowed = types_.find(spec.type_param);
    if (allowed != types_.end() && !allowed->second.empty() &&
        std::find(allowed->second.begin(), allowed->second.end(), type) == allowed->second.end()) {
      std::string names;
      for (DataType t : allowed->second) names += (names.empty() ? "" : ", ") + DataTypeName(t);
      return Fail(StatusCode::kInvalidModel, node.Describe(), ": input ", i, " ('", node.inputs[i], "') is ",
                  DataTypeName(type), "; ", op_type_, " takes ", names, " there");
    }
    auto [first, inserted] = bound.insert({spec.type_param, {type, i}});
    if (!inserted && first->second.first != type)
      return Fail(StatusCode::kInvalidModel, node.Describe(), ": inputs ", first->second.second, " and ", i,
                  " must have one type; got ", DataTypeName(first->second.first), " and ", DataTypeName(type));
  }
  return Status::Ok();
}

bool IsClamp(const Node& node) {
  const OpSchema* schema = SchemaRegistry::Get().Latest(node.domain, node.op_type);
  return schema && schema->quant().clamp;
}

std::optional<std::pair<float, float>> ClampRange(const Node& node, int64_t opset,
                                                  const std::function<const Tensor*(const std::string&)>& constant) {
  const OpSchema* schema = SchemaRegistry::Get().Latest(node.domain, node.op_type);
  if (!schema || !schema->quant().clamp) return std::nullopt;
  std::vector<const Tensor*> constants;
  for (const auto& name : node.inputs) constants.push_back(name.empty() ? nullptr : constant(name));
  return schema->quant().clamp(node, opset, constants);
}

AttrCheck AtLeast(int64_t min) {
  return [min](const Attribute& a, int64_t) -> std::string {
    for (int64_t v : IntsOf(a))
      if (v < min) return a.kind == AttrType::kInts ? "each value >= " + std::to_string(min) : ">= " + std::to_string(min);
    return "";
  };
}

AttrCheck OneOfInts(std::vector<int64_t> allowed) {
  return [allowed](const Attribute& a, int64_t) -> std::string {
    return std::find(allowed.begin(), allowed.end(), a.i) != allowed.end() ? "" : "one of " + List(allowed);
  };
}

AttrCheck OneOfStrings(std::vector<std::string> allowed) {
  return [allowed](const Attribute& a, int64_t) -> std::string {
    if (std::find(allowed.begin(), allowed.end(), a.s) != allowed.end()) return "";
    std::string names;
    for (const auto& s : allowed) names += (names.empty() ? "" : ", ") + s;
    return "one of " + names;
  };
}

AttrCheck AxesInRank(int64_t extra) {
  return [extra](const Attribute& a, int64_t rank) -> std::string {
    if (rank < 0) return "";
    const int64_t r = rank + extra;
    std::set<int64_t> seen;
    for (int64_t v : IntsOf(a)) {
      if (v < -r || v >= r) return "an axis in [" + std::to_string(-r) + ", " + std::to_string(r - 1) + "]";
      if (!seen.insert(v < 0 ? v + r : v).second) return "axes without repeats";
    }
    return "";
  };
}

AttrCheck AxisInRank(int64_t extra) { return AxesInRank(extra); }

AttrCheck Permutation() {
  return [](const Attribute& a, int64_t rank) -> std::string {
    const std::string expected = "a permutation of 0.." + (rank >= 0 ? std::to_string(rank - 1) : std::string("rank-1"));
    if (rank >= 0 && static_cast<int64_t>(a.ints.size()) != rank) return expected;
    std::vector<int64_t> sorted = a.ints;
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < sorted.size(); ++i)
      if (sorted[i] != static_cast<int64_t>(i)) return expected;
    return "";
  };
}

AttrCheck Positive() {
  return [](const Attribute& a, int64_t) -> std::string { return a.f > 0 ? "" : "> 0"; };
}

const SchemaRegistry& SchemaRegistry::Get() {
  static const SchemaRegistry registry = [] {
    SchemaRegistry r;
    RegisterElementwiseSchemas(r);
    RegisterActivationSchemas(r);
    RegisterShapeSchemas(r);
    RegisterTensorSchemas(r);
    RegisterReduceSchemas(r);
    RegisterMatMulSchemas(r);
    RegisterBlockQuantizedSchemas(r);
    RegisterAttentionSchemas(r);
    RegisterEmbeddingSchemas(r);
    RegisterRotaryEmbeddingSchemas(r);
    RegisterConvSchemas(r);
    RegisterPoolSchemas(r);
    RegisterNormalizationSchemas(r);
    RegisterResizeSchemas(r);
    RegisterQuantizeSchemas(r);
    RegisterRecurrentSchemas(r);
    RegisterControlFlowSchemas(r);
    RegisterQLinearContribSchemas(r);
    RegisterDetectionSchemas(r);
    return r;
  }();
  return registry;
}

void SchemaRegistry::Add(OpSchema schema) {
  auto& versions = schemas_[{schema.domain(), schema.op_type()}];
  versions.push_back(std::move(schema));
  std::sort(versions.begin(), versions.end(), [](const OpSchema& a, const OpSchema& b) { return a.since() < b.since(); });
  // An entry without an explicit end lasts until the next version begins.
  for (size_t i = 0; i + 1 < versions.size(); ++i)
    if (versions[i].until() >= versions[i + 1].since()) versions[i].Until(versions[i + 1].since() - 1);
}

const OpSchema* SchemaRegistry::Find(const std::string& domain, const std::string& op_type, int64_t opset) const {
  auto it = schemas_.find({domain, op_type});
  if (it == schemas_.end()) return nullptr;
  for (const OpSchema& s : it->second)
    if (s.since() <= opset && opset <= s.until()) return &s;
  return nullptr;
}

const OpSchema* SchemaRegistry::Latest(const std::string& domain, const std::string& op_type) const {
  auto it = schemas_.find({domain, op_type});
  return it == schemas_.end() ? nullptr : &it->second.back();
}

std::vector<const OpSchema*> SchemaRegistry::All() const {
  std::vector<const OpSchema*> all;
  for (const auto& [_, versions] : schemas_)
    for (const OpSchema& s : versions) all.push_back(&s);
  return all;
}

}  // namespace qplay
