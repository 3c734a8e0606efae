#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "graph/constant_nodes.h"
#include "graph/shape_inference.h"
#include "onnx/model.h"
#include "onnx/proto_store.h"
#include "onnx/tensor_proto.h"

namespace qplay {
namespace {

// Element types in a file, with float16 and bfloat16 read as float32 (the first one met is
// remembered for the model's summary).
class ElementTypes {
 public:
  DataType Read(int64_t elem_type) {
    const auto dtype = static_cast<DataType>(elem_type);
    if (!IsHalfPrecision(dtype)) return dtype;
    if (upcast_from_.empty()) upcast_from_ = DataTypeName(dtype);
    return DataType::kFloat;
  }
  const std::string& upcast_from() const { return upcast_from_; }

 private:
  std::string upcast_from_;
};

// Attributes whose value is an element type (Cast's to, EyeLike's and the Random ops' dtype,
// QuantizeLinear's output_dtype).
bool NamesAnElementType(const std::string& attribute) {
  return attribute == "to" || attribute == "dtype" || attribute == "output_dtype";
}

ValueType TypeFromProto(const onnx::TypeProto& type, ElementTypes& types) {
  ValueType out;
  if (!type.has_tensor_type()) {
    out.is_tensor = false;
    return out;
  }
  const auto& tensor = type.tensor_type();
  out.dtype = types.Read(tensor.elem_type());
  if (tensor.has_shape()) {
    std::vector<Dim> dims;
    for (const auto& d : tensor.shape().dim())
      dims.push_back(d.has_dim_value() ? Dim::Known(d.dim_value()) : Dim::Symbolic(d.dim_param()));
    out.shape = std::move(dims);
  }
  return out;
}

class GraphReader {
 public:
  // `owner` keeps the ModelProto alive; initializers view its raw data in place.
  GraphReader(std::shared_ptr<const void> owner, const ExternalDataReader& external)
      : owner_(std::move(owner)), external_(external) {}

  const std::string& upcast_from() const { return types_.upcast_from(); }

  // `outer` holds the names visible from enclosing graphs (for subgraphs).
  Result<Graph> Read(const onnx::GraphProto& proto, const std::set<std::string>& outer) {
    Graph graph;
    graph.name = proto.name();
    graph.doc_string = proto.doc_string();
    for (const auto& init : proto.initializer()) {
      types_.Read(init.data_type());
      auto tensor = TensorFromProto(init, "initializer '" + init.name() + "'", owner_, &external_);
      if (tensor.ok()) {
        graph.initializers[init.name()] = std::move(tensor.value());
      } else if (tensor.status().code() == StatusCode::kUnsupported) {
        graph.unreadable[init.name()] = tensor.status().message();  // loads, but cannot run
      } else {
        return tensor.status();
      }
    }
    for (const auto& sparse : proto.sparse_initializer())
      graph.unreadable[sparse.values().name()] = "initializer '" + sparse.values().name() +
                                                 "' is sparse; qplay runs dense initializers only";
    for (const auto& input : proto.input()) {
      graph.value_types[input.name()] = TypeFromProto(input.type(), types_);
      if (!graph.IsInitializer(input.name())) graph.inputs.push_back(input.name());
    }
    for (const auto& output : proto.output()) {
      graph.value_types[output.name()] = TypeFromProto(output.type(), types_);
      graph.outputs.push_back(output.name());
    }
    for (const auto& info : proto.value_info()) graph.value_types[info.name()] = TypeFromProto(info.type(), types_);

    std::set<std::string> scope = outer;
    for (const auto& name : graph.inputs) scope.insert(name);
    for (const auto& [name, _] : graph.initializers) scope.insert(name);
    for (const auto& [name, _] : graph.unreadable) scope.insert(name);
    for (const auto& node : proto.node())
      for (const auto& out : node.output()) scope.insert(out);

    for (const auto& node_proto : proto.node()) {
      auto node = ReadNode(node_proto, scope);
      if (!node.ok()) return node.status();
      graph.nodes.push_back(std::move(node.value()));
    }
    QPLAY_RETURN_IF_ERROR(TopologicalSort(graph, {outer.begin(), outer.end()}));
    return graph;
  }

 private:
  Result<Node> ReadNode(const onnx::NodeProto& proto, const std::set<std::string>& scope) {
    Node node;
    node.name = proto.name();
    node.op_type = proto.op_type();
    node.domain = proto.domain() == "ai.onnx" ? "" : proto.domain();
    node.inputs.assign(proto.input().begin(), proto.input().end());
    node.outputs.assign(proto.output().begin(), proto.output().end());
    node.doc_string = proto.doc_string();
    // Every op writes at least one value; a node without an op type or outputs is malformed.
    if (node.op_type.empty()) return Fail(StatusCode::kInvalidArgument, "node '", node.name, "' has no op type");
    if (node.outputs.empty()) return Fail(StatusCode::kInvalidArgument, node.Describe(), " has no outputs");
    for (const auto& a : proto.attribute()) {
      Attribute attr;
      switch (a.type()) {
        case onnx::AttributeProto::FLOAT: attr.kind = Attribute::Kind::kFloat; attr.f = a.f(); break;
        case onnx::AttributeProto::INT:
          attr.kind = Attribute::Kind::kInt;
          attr.i = NamesAnElementType(a.name()) ? static_cast<int64_t>(types_.Read(a.i())) : a.i();
          break;
        case onnx::AttributeProto::STRING: attr.kind = Attribute::Kind::kString; attr.s = a.s(); break;
        case onnx::AttributeProto::FLOATS:
          attr.kind = Attribute::Kind::kFloats;
          attr.floats.assign(a.floats().begin(), a.floats().end());
          break;
        case onnx::AttributeProto::INTS:
          attr.kind = Attribute::Kind::kInts;
          attr.ints.assign(a.ints().begin(), a.ints().end());
          break;
        case onnx::AttributeProto::STRINGS:
          attr.kind = Attribute::Kind::kStrings;
          attr.strings.assign(a.strings().begin(), a.strings().end());
          break;
        case onnx::AttributeProto::TENSOR: {
          attr.kind = Attribute::Kind::kTensor;
          types_.Read(a.t().data_type());
          // Why it is unreadable names the attribute; whoever reports it names the node.
          auto t = TensorFromProto(a.t(), "attribute '" + a.name() + "'", nullptr, &external_);
          if (t.ok()) {
            attr.t = std::move(t.value());
          } else if (t.status().code() == StatusCode::kUnsupported) {
            attr.unreadable = t.status().message();
          } else {
            return t.status().WithContext(node.Describe());
          }
          break;
        }
        case onnx::AttributeProto::GRAPH: {
          attr.kind = Attribute::Kind::kGraph;
          auto g = Read(a.g(), scope);
          if (!g.ok()) return g.status().WithContext(node.Describe() + " attribute '" + a.name() + "'");
          attr.g = std::make_shared<Graph>(std::move(g.value()));
          break;
        }
        default: attr.kind = Attribute::Kind::kOther; break;
      }
      node.attributes[a.name()] = std::move(attr);
    }
    return node;
  }

  std::shared_ptr<const void> owner_;
  const ExternalDataReader& external_;
  ElementTypes types_;
};

// A file streamed into the parser is copied in chunks of this many bytes.
constexpr int kStreamChunkBytes = 1 << 20;

// A ByteStream as protobuf reads input, a chunk at a time.
class ChunkedInput : public google::protobuf::io::CopyingInputStream {
 public:
  explicit ChunkedInput(const ByteStream& read) : read_(read) {}
  int Read(void* buffer, int size) override {
    return static_cast<int>(read_(static_cast<uint8_t*>(buffer), static_cast<size_t>(size)));
  }

 private:
  const ByteStream& read_;
};

// A file of `size` bytes that `parse` turns into a ModelProto, then into a Model.
template <typename Parse>
Result<Model> ParseAndRead(size_t size, const std::string& source, const ExternalDataReader& external, Parse parse) {
  if (size == 0) return Fail(StatusCode::kInvalidModel, source, " is empty (0 bytes)");
  if (size > static_cast<size_t>(INT32_MAX))
    return Fail(StatusCode::kInvalidModel, source, " is ", size, " bytes; ONNX protobuf files are limited to 2 GB");
  auto store = std::make_shared<ProtoStore>();
  if (!parse(store->model))
    return Fail(StatusCode::kInvalidModel, source,
                " is not an ONNX model: protobuf parsing failed (the file is truncated or not an .onnx file)");
  const onnx::ModelProto& proto = store->model;
  if (!proto.has_graph())
    return Fail(StatusCode::kInvalidModel, source,
                proto.ir_version() == 0 ? " is not an ONNX model: it has no ir_version and no graph"
                                        : " has no graph");

  Model model;
  model.ir_version = proto.ir_version();
  model.producer_name = proto.producer_name();
  model.producer_version = proto.producer_version();
  for (const auto& opset : proto.opset_import())
    model.opsets[opset.domain() == "ai.onnx" ? "" : opset.domain()] = opset.version();

  GraphReader reader(store, external);
  auto graph = reader.Read(proto.graph(), {});
  if (!graph.ok()) return graph.status().WithContext(source);
  model.graph = std::move(graph.value());
  model.upcast_from = reader.upcast_from();
  for (const auto* values : {&proto.graph().input(), &proto.graph().output()})
    for (const auto& value : *values)
      if (const auto dtype = static_cast<DataType>(value.type().tensor_type().elem_type()); IsHalfPrecision(dtype))
        model.half_precision_io[value.name()] = dtype;
  model.proto = std::move(store);
  QPLAY_RETURN_IF_ERROR(InferShapes(model).WithContext(source));
  HoistConstantNodes(model);
  return model;
}

}  // namespace

Result<Model> LoadModel(const uint8_t* data, size_t size, const std::string& source, const ExternalDataReader& external) {
  return ParseAndRead(size, source, external, [&](onnx::ModelProto& proto) { return proto.ParseFromArray(data, static_cast<int>(size)); });
}

Result<Model> LoadModelStreamed(const ByteStream& read, size_t size, const std::string& source, const ExternalDataReader& external) {
  return ParseAndRead(size, source, external, [&](onnx::ModelProto& proto) {
    ChunkedInput chunks(read);
    google::protobuf::io::CopyingInputStreamAdaptor input(&chunks, kStreamChunkBytes);
    return proto.ParseFromZeroCopyStream(&input);
  });
}

Result<std::vector<uint8_t>> ReadFileBytes(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) return Fail(StatusCode::kInvalidArgument, "'", path, "' is a folder, not a file");
  std::ifstream file(path, std::ios::binary);
  if (!file) return Fail(StatusCode::kInvalidArgument, "cannot open '", path, "'");
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(file), {});
}

namespace {

// External data files beside the model: a location must name a file inside the model's folder.
ExternalDataReader ExternalDataInFolder(const std::filesystem::path& folder) {
  return [folder](const std::string& location, int64_t offset, int64_t length, uint8_t* out) -> Status {
    namespace fs = std::filesystem;
    std::error_code error;
    const fs::path root = fs::weakly_canonical(folder, error), file = fs::weakly_canonical(folder / location, error);
    const auto relative = file.lexically_relative(root);
    if (error || fs::path(location).is_absolute() || relative.empty() || *relative.begin() == "..")
      return Fail(StatusCode::kInvalidModel, "external data location '", location, "' is outside the model's folder");
    std::ifstream in(file, std::ios::binary);
    if (!in || fs::is_directory(file, error))
      return Fail(StatusCode::kInvalidModel, "cannot open the external data file '", file.string(), "'");
    const auto size = static_cast<int64_t>(fs::file_size(file, error));
    if (error || offset > size || length > size - offset)
      return Fail(StatusCode::kInvalidModel, "external data '", location, "' has ", size, " bytes; the tensor needs ", length,
                  " from offset ", offset);
    in.seekg(offset);
    in.read(reinterpret_cast<char*>(out), length);
    return in ? Status::Ok() : Fail(StatusCode::kInvalidModel, "reading external data '", location, "' failed");
  };
}

}  // namespace

Result<Model> LoadModelFile(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) return Fail(StatusCode::kInvalidArgument, "'", path, "' is a folder, not a file");
  std::ifstream file(path, std::ios::binary);
  const auto size = std::filesystem::file_size(path, error);
  if (!file || error) return Fail(StatusCode::kInvalidArgument, "cannot open '", path, "'");
  const ByteStream read = [&file](uint8_t* out, size_t capacity) {
    file.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(capacity));
    return static_cast<size_t>(file.gcount());
  };
  return LoadModelStreamed(read, static_cast<size_t>(size), path, ExternalDataInFolder(std::filesystem::path(path).parent_path()));
}

ExternalDataReader ExternalDataFromFiles(std::map<std::string, ExternalFile> files) {
  return [files = std::move(files)](const std::string& location, int64_t offset, int64_t length, uint8_t* out) -> Status {
    auto file = files.find(location);
    if (file == files.end())
      return Fail(StatusCode::kInvalidModel, "the external data file '", location, "' was not given with the model");
    const int64_t size = file->second.size;
    if (offset > size || length > size - offset)
      return Fail(StatusCode::kInvalidModel, "external data '", location, "' has ", size, " bytes; the tensor needs ", length,
                  " from offset ", offset);
    if (length) file->second.copy(offset, length, out);
    return Status::Ok();
  };
}

Result<std::vector<uint8_t>> SaveModel(const Model& model) {
  if (!model.proto) return Fail(StatusCode::kInternal, "model has no protobuf to save");
  std::vector<uint8_t> bytes(model.proto->model.ByteSizeLong());
  if (!model.proto->model.SerializeToArray(bytes.data(), static_cast<int>(bytes.size())))
    return Fail(StatusCode::kInternal, "serializing the model failed");
  return bytes;
}

Result<NamedTensor> ParseTensorProto(const uint8_t* data, size_t size, const std::string& source) {
  onnx::TensorProto proto;
  if (!proto.ParseFromArray(data, static_cast<int>(size)))
    return Fail(StatusCode::kInvalidArgument, source, " is not a serialized onnx.TensorProto");
  auto tensor = TensorFromProto(proto, source);
  if (!tensor.ok()) return tensor.status();
  return NamedTensor{proto.name(), std::move(tensor.value())};
}

}  // namespace qplay
