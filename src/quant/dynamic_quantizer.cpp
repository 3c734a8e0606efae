#include "quant/dynamic_quantizer.h"

#include "ops/attention.h"
#include "ops/conv.h"
#include "ops/elementwise.h"
#include "ops/embedding.h"
#include "ops/matmul.h"
#include "ops/quantize.h"
#include "ops/recurrent.h"
#include "ops/shape_ops.h"
#include "ops/tensor_ops.h"
#include "passes/graph_edit.h"
#include "quant/embedding_tables.h"
#include "quant/qdq_writer.h"

namespace qplay {
namespace {

struct Quantized {
  std::string value, scale, zero_point;
};

class DynamicWriter {
 public:
  DynamicWriter(Model& model, const QuantizationConfig& config)
      : graph_(model.graph), config_(config), opset_(model.DefaultOpset()), qdq_(model.graph, opset_) {}

  Status Rewrite(std::vector<std::string>& quantized_nodes) {
    auto format = FormatFor(config_.weight_type, config_.weight_symmetric, config_.reduce_range);
    if (!format.ok()) return format.status();
    weight_format_ = *format;
    auto attention = FormatFor(config_.weight_type, config_.weight_symmetric, true);
    if (!attention.ok()) return attention.status();
    attention_weight_format_ = *attention;
    // ONNX Runtime's quantize_dynamic stores an embedding table in the activation type.
    auto embedding = FormatFor(config_.activation_type, config_.activation_symmetric, false);
    if (!embedding.ok()) return embedding.status();
    embedding_format_ = *embedding;
    std::vector<Node> nodes;
    for (const Node& node : std::vector<Node>(graph_.nodes)) {
      if (Selected(node) && Write(node, nodes)) quantized_nodes.push_back(node.name);
      else nodes.push_back(node);
    }
    graph_.nodes = std::move(nodes);
    return Status::Ok();
  }

  bool uses_contrib_domain() const { return uses_contrib_domain_; }

 private:
  bool Selected(const Node& node) const {
    return IsAnyOp(node, ops::kMatMul, ops::kGemm, ops::kConv, ops::kLSTM, ops::kGRU, ops::kGather, ops::kAttention,
                   ops::kEmbedLayerNormalization) &&
           !config_.nodes_to_exclude.count(node.name) &&
           (config_.op_types_to_quantize.empty() || config_.op_types_to_quantize.count(node.op_type)) &&
           (IsFloatValue(graph_, node.inputs[0]) || IsOp(node, ops::kEmbedLayerNormalization));  // which reads token ids
  }

  // Appends the node's integer form to `nodes`; false leaves it float.
  bool Write(const Node& node, std::vector<Node>& nodes) {
    if (IsOp(node, ops::kGather)) {
      if (!EmbeddingTable(graph_, node)) return false;
      WriteGatherThenDequantize(qdq_, node, embedding_format_, nodes);
      return true;
    }
    if (IsOp(node, ops::kLSTM) && weight_format_.type == DataType::kInt8 && weight_format_.symmetric)
      return WriteQuantizedLstm(node, nodes);
    if (IsAnyOp(node, ops::kLSTM, ops::kGRU)) return WriteRecurrent(node, nodes);
    if (IsOp(node, ops::kAttention)) return WriteAttention(node, nodes);
    if (IsOp(node, ops::kEmbedLayerNormalization)) return WriteEmbedLayerNormalization(node, nodes);
    const Tensor* w = FloatInitializer(graph_, node, 1);
    if (IsOp(node, ops::kMatMul)) {
      if (!w) return !config_.matmul_const_b_only && IsFloatValue(graph_, node.inputs[1]) && WriteActivationMatMul(node, nodes);
      if (w->rank() != 2) return false;
      WriteMatMul(node, *w, 1.0f, nodes);
      return true;
    }
    if (IsOp(node, ops::kGemm)) {
      const bool has_c = node.inputs.size() > 2 && !node.inputs[2].empty();
      if (!w || w->rank() != 2 || node.GetInt("transA", 0) || (has_c && !FloatInitializer(graph_, node, 2))) return false;
      const Tensor weight = node.GetInt("transB", 0) ? TransposedMatrix(*w) : *w;
      const std::string product = WriteMatMul(node, weight, node.GetFloat("alpha", 1.0f), nodes);
      if (has_c) {
        Tensor c = FloatInitializer(graph_, node, 2)->Clone();
        const float beta = node.GetFloat("beta", 1.0f);
        for (int64_t i = 0; i < c.size(); ++i) c.data<float>()[i] *= beta;
        nodes.push_back(Make(ops::kAdd, node.name + "_bias", {product, Initializer(node.inputs[2] + "_scaled", c)}, node.outputs[0]));
      }
      return true;
    }
    if (!w) return false;  // Conv with a weight computed at run time stays float
    WriteConv(node, *w, nodes);
    return true;
  }

  // LSTM becomes ONNX Runtime's com.microsoft DynamicQuantizeLSTM (what its quantize_dynamic
  // writes): W and R transposed to [directions, input or hidden, 4 x hidden] in int8 with
  // zero point 0, a scale per direction (per gate row with per_channel); at run time x and h
  // are quantized by their own range for the 8-bit products.
  bool WriteQuantizedLstm(const Node& node, std::vector<Node>& nodes) {
    const Tensor *w = FloatInitializer(graph_, node, 1), *r = FloatInitializer(graph_, node, 2);
    if (!w || !r || w->rank() != 3 || r->rank() != 3) return false;
    Node quantized = Make(ops::kDynamicQuantizeLSTM, node.name + "_quant", {node.inputs[0]}, node.outputs[0]);
    quantized.outputs = node.outputs;
    quantized.attributes = node.attributes;
    std::vector<std::string> params;
    for (size_t i : {1, 2}) {
      const Tensor& weight = i == 1 ? *w : *r;
      const int64_t directions = weight.dim(0), rows = weight.dim(1), columns = weight.dim(2);
      // Per gate row: one channel per row of every direction; else one per direction.
      const Tensor channels = config_.per_channel ? weight.Reshaped({directions * rows, columns}) : weight;
      const QuantizedConstant q = QuantizeConstant(channels, 0, weight_format_);
      const Shape param_shape = config_.per_channel ? Shape{directions, rows} : Shape{directions};
      Tensor scale(DataType::kFloat, param_shape), zero_point(DataType::kInt8, param_shape);
      for (size_t c = 0; c < q.params.size(); ++c) scale.data<float>()[c] = q.params[c].scale;
      quantized.inputs.push_back(Initializer(node.inputs[i] + "_quantized", TransposedRows(q.values.Reshaped(weight.shape()))));
      params.push_back(Initializer(node.inputs[i] + "_scale", scale));
      params.push_back(Initializer(node.inputs[i] + "_zero_point", zero_point));
    }
    for (size_t i = 3; i < 8; ++i) quantized.inputs.push_back(i < node.inputs.size() ? node.inputs[i] : "");
    quantized.inputs.insert(quantized.inputs.end(), params.begin(), params.end());
    nodes.push_back(quantized);
    uses_contrib_domain_ = true;
    return true;
  }

  // [directions, rows, columns] -> [directions, columns, rows] (8-bit values).
  static Tensor TransposedRows(const Tensor& t) {
    const int64_t directions = t.dim(0), rows = t.dim(1), columns = t.dim(2);
    Tensor out(t.dtype(), {directions, columns, rows});
    const uint8_t* in = t.raw();
    uint8_t* o = out.raw();
    for (int64_t d = 0; d < directions; ++d)
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < columns; ++j) o[(d * columns + j) * rows + i] = in[(d * rows + i) * columns + j];
    return out;
  }

  // GRU (and an LSTM with other than int8 symmetric weights) keeps its float cell; its input
  // and recurrence weights W and R ([directions, gates x hidden, ...]) are stored as 8-bit
  // integers, per gate row with per_channel, behind DequantizeLinear nodes that feed it.
  bool WriteRecurrent(Node node, std::vector<Node>& nodes) {
    const Tensor *w = FloatInitializer(graph_, node, 1), *r = FloatInitializer(graph_, node, 2);
    if (!w || !r || w->rank() != 3 || r->rank() != 3) return false;
    const int64_t axis = config_.per_channel && opset_ >= 13 ? 1 : -1;  // per-axis DequantizeLinear from opset 13
    for (size_t i : {1, 2}) {
      const QuantizedConstant q = QuantizeConstant(graph_.initializers.at(node.inputs[i]), axis, weight_format_);
      node.inputs[i] = qdq_.AddDequantized(node.inputs[i], q, axis, true, nodes);
    }
    nodes.push_back(node);
    return true;
  }

  // Attention becomes com.microsoft QAttention, as ONNX Runtime's quantize_dynamic writes it:
  // the input quantized at run time, the weights stored with reduce_range, in -64..64, so that
  // its u8s8 kernels cannot saturate (per column with per_channel). Not with a key/value cache, an
  // attention_bias or Q, K and V of different widths, which QAttention does not take.
  bool WriteAttention(const Node& node, std::vector<Node>& nodes) {
    const Tensor* w = FloatInitializer(graph_, node, 1);
    auto input = [&](size_t i) { return node.inputs.size() > i ? node.inputs[i] : std::string(); };
    const std::vector<int64_t> sizes = node.GetInts("qkv_hidden_sizes");
    const bool equal_widths = sizes.empty() || (sizes.size() == 3 && sizes[0] == sizes[1] && sizes[1] == sizes[2]);
    if (!w || w->rank() != 2 || !input(4).empty() || !input(5).empty() || !input(6).empty() || !equal_widths ||
        node.GetInt("do_rotary", 0) || (!input(2).empty() && !FloatInitializer(graph_, node, 2)))
      return false;
    const Quantized x = DynamicallyQuantized(node.inputs[0], nodes);
    const Quantized q = Weight(node.inputs[1], *w, config_.per_channel ? 1 : -1, 1.0f, {}, attention_weight_format_);
    const std::string bias = input(2).empty() ? Initializer(node.name + "_bias", Tensor(DataType::kFloat, {w->dim(1)})) : input(2);
    Node attention = MakeNode(ops::kQAttention, node.name + "_quant", {x.value, q.value, bias, x.scale, q.scale, input(3), x.zero_point, q.zero_point},
                              node.outputs);
    attention.attributes = node.attributes;
    attention.attributes.erase("qkv_hidden_sizes");
    attention.attributes.erase("rotary_embedding_dim");
    nodes.push_back(attention);
    uses_contrib_domain_ = true;
    return true;
  }

  // EmbedLayerNormalization becomes com.microsoft QEmbedLayerNormalization, as ONNX Runtime's
  // quantize_dynamic writes it: the word, position and segment tables, gamma and beta stored per
  // tensor in the activation type. Not with position_ids or the embedding_sum output, which
  // QEmbedLayerNormalization does not take, nor without beta, which it requires.
  bool WriteEmbedLayerNormalization(const Node& node, std::vector<Node>& nodes) {
    auto input = [&](size_t i) { return node.inputs.size() > i ? node.inputs[i] : std::string(); };
    if (!input(8).empty() || (node.outputs.size() > 2 && !node.outputs[2].empty())) return false;
    std::vector<Quantized> parts;
    for (size_t i = 2; i <= 6; ++i) {
      const Tensor* values = input(i).empty() ? nullptr : FloatInitializer(graph_, node, i);
      if (!values && !(i == 4 && input(i).empty())) return false;  // only the segment table may be absent
      parts.push_back(values ? Weight(input(i), *values, -1, 1.0f, {}, embedding_format_) : Quantized{});
    }
    std::vector<std::string> inputs = {input(0), input(1)};
    for (const Quantized& p : parts) inputs.push_back(p.value);
    inputs.push_back(input(7));
    for (const Quantized& p : parts) inputs.push_back(p.scale);
    for (const Quantized& p : parts) inputs.push_back(p.zero_point);
    Node embed = MakeNode(ops::kQEmbedLayerNormalization, node.name + "_quant", inputs, node.outputs);
    if (node.Has("epsilon")) embed.attributes["epsilon"] = node.attributes.at("epsilon");
    nodes.push_back(embed);
    uses_contrib_domain_ = true;
    return true;
  }

  // MatMulInteger of the dynamically quantized A and the stored weight ([K, N]), scaled back
  // to float; returns the float value's name (node.outputs[0] for MatMul).
  std::string WriteMatMul(const Node& node, const Tensor& w, float alpha, std::vector<Node>& nodes) {
    const Quantized a = DynamicallyQuantized(node.inputs[0], nodes);
    const Quantized b = Weight(node.inputs[1], w, config_.per_channel ? 1 : -1, alpha, {}, weight_format_);
    const std::string product = IsOp(node, ops::kMatMul) ? node.outputs[0] : Fresh(node.outputs[0] + "_product");
    ScaleBack(node, Make(ops::kMatMulInteger, node.name + "_quant", {a.value, b.value, a.zero_point, b.zero_point},
                         Fresh(node.outputs[0] + "_int32")),
              a.scale, b.scale, product, nodes);
    return product;
  }

  bool WriteActivationMatMul(const Node& node, std::vector<Node>& nodes) {
    const Quantized a = DynamicallyQuantized(node.inputs[0], nodes), b = DynamicallyQuantized(node.inputs[1], nodes);
    ScaleBack(node, Make(ops::kMatMulInteger, node.name + "_quant", {a.value, b.value, a.zero_point, b.zero_point},
                         Fresh(node.outputs[0] + "_int32")),
              a.scale, b.scale, node.outputs[0], nodes);
    return true;
  }

  void WriteConv(const Node& node, const Tensor& w, std::vector<Node>& nodes) {
    const Quantized x = DynamicallyQuantized(node.inputs[0], nodes);
    // Per-channel scales become [1, M, 1, ...] so they broadcast over the output's channels.
    Shape channel_shape(static_cast<size_t>(w.rank()), 1);
    channel_shape[1] = w.dim(0);
    const Quantized q = Weight(node.inputs[1], w, config_.per_channel ? 0 : -1, 1.0f, channel_shape, weight_format_);
    Node conv = Make(ops::kConvInteger, node.name + "_quant", {x.value, q.value, x.zero_point, q.zero_point}, Fresh(node.outputs[0] + "_int32"));
    for (const auto& [name, attr] : node.attributes) conv.attributes[name] = attr;
    const bool has_bias = node.inputs.size() > 2 && !node.inputs[2].empty();
    const std::string scaled = has_bias ? Fresh(node.outputs[0] + "_product") : node.outputs[0];
    ScaleBack(node, conv, x.scale, q.scale, scaled, nodes);
    if (has_bias) {
      const std::string bias = node.inputs[2];
      std::string bias_input = bias;
      if (graph_.IsInitializer(bias)) bias_input = Initializer(bias + "_per_channel", graph_.initializers.at(bias).Reshaped(channel_shape));
      else {
        Node reshape = Make(ops::kReshape, node.name + "_bias_shape",
                            {bias, Initializer(bias + "_shape", Tensor::FromVector<int64_t>({static_cast<int64_t>(channel_shape.size())},
                                                                                              channel_shape))},
                            Fresh(bias + "_per_channel"));
        bias_input = reshape.outputs[0];
        nodes.push_back(reshape);
      }
      nodes.push_back(Make(ops::kAdd, node.name + "_bias", {scaled, bias_input}, node.outputs[0]));
    }
  }

  // out = float(integer result) x (a_scale x b_scale)
  void ScaleBack(const Node& node, const Node& integer, const std::string& a_scale, const std::string& b_scale,
                 const std::string& out, std::vector<Node>& nodes) {
    nodes.push_back(integer);
    Node cast = Make(ops::kCast, node.name + "_cast", {integer.outputs[0]}, Fresh(node.outputs[0] + "_float"));
    cast.attributes["to"] = Attribute::Int(static_cast<int64_t>(DataType::kFloat));
    nodes.push_back(cast);
    Node scales = Make(ops::kMul, node.name + "_scales", {a_scale, b_scale}, Fresh(node.outputs[0] + "_scale"));
    nodes.push_back(scales);
    nodes.push_back(Make(ops::kMul, node.name + "_scaled", {cast.outputs[0], scales.outputs[0]}, out));
  }

  // DynamicQuantizeLinear of `value`, added once however many nodes read it.
  Quantized DynamicallyQuantized(const std::string& value, std::vector<Node>& nodes) {
    auto it = dynamic_.find(value);
    if (it != dynamic_.end()) return it->second;
    Node q = Make(ops::kDynamicQuantizeLinear, Fresh(value + "_DynamicQuantizeLinear"), {value}, Fresh(value + "_quantized"));
    q.outputs.push_back(Fresh(value + "_scale"));
    Reserve(q.outputs[1]);
    q.outputs.push_back(Fresh(value + "_zero_point"));
    Reserve(q.outputs[2]);
    nodes.push_back(q);
    return dynamic_[value] = {q.outputs[0], q.outputs[1], q.outputs[2]};
  }

  // The weight stored quantized in `format` (per tensor, or per channel along `axis`), its scales times
  // `alpha` (shaped `scale_shape` when given) and its zero point (one value when all agree).
  Quantized Weight(const std::string& name, const Tensor& w, int64_t axis, float alpha, const Shape& scale_shape,
                   const TensorFormat& format) {
    QuantizedConstant q = QuantizeConstant(w, axis, format);
    bool one_zero_point = true;
    for (const QParams& p : q.params) one_zero_point = one_zero_point && p.zero_point == q.params[0].zero_point;
    if (!one_zero_point && axis == 0) {  // ConvInteger takes one weight zero point
      q = QuantizeConstant(w, -1, format);
      one_zero_point = true;
    }
    const int64_t channels = static_cast<int64_t>(q.params.size());
    Tensor scale(DataType::kFloat, channels == 1 ? Shape{} : (scale_shape.empty() ? Shape{channels} : scale_shape));
    for (int64_t c = 0; c < channels; ++c) scale.data<float>()[c] = q.params[c].scale * alpha;
    Tensor zero_point(format.type, one_zero_point ? Shape{} : Shape{channels});
    for (int64_t c = 0; c < zero_point.size(); ++c)
      VisitNumeric(format.type, [&](auto tag) { zero_point.data<decltype(tag)>()[c] = static_cast<decltype(tag)>(q.params[c].zero_point); });
    return {Initializer(name + "_quantized", q.values), Initializer(name + "_scale", scale), Initializer(name + "_zero_point", zero_point)};
  }

  std::string Initializer(const std::string& base, const Tensor& value) {
    const std::string name = Fresh(base);
    graph_.initializers[name] = value;
    return name;
  }

  std::string Fresh(const std::string& base) {
    const std::string name = FreshName(graph_, base);
    Reserve(name);
    return name;
  }
  void Reserve(const std::string& name) { graph_.value_types[name] = ValueType{}; }

  Node Make(OpType op, const std::string& name, std::vector<std::string> inputs, const std::string& output) {
    return MakeNode(op, name, std::move(inputs), {output});
  }

  Graph& graph_;
  const QuantizationConfig& config_;
  const int64_t opset_;
  QdqWriter qdq_;  // one for the whole model, so the node names it makes stay unique
  TensorFormat weight_format_, embedding_format_, attention_weight_format_;
  std::map<std::string, Quantized> dynamic_;
  bool uses_contrib_domain_ = false;
};

}  // namespace

Result<QuantizationResult> QuantizeDynamic(const Model& input, const QuantizationConfig& config) {
  auto started = StartQuantization(input, config);
  if (!started.ok()) return started.status();
  QuantizationResult result = std::move(started.value());
  Model& model = result.model;
  if (model.DefaultOpset() < 11)
    return Fail(StatusCode::kUnsupported, "dynamic quantization needs ai.onnx opset 11 or later (DynamicQuantizeLinear); the model imports opset ",
                model.DefaultOpset());
  DynamicWriter writer(model, config);
  QPLAY_RETURN_IF_ERROR(writer.Rewrite(result.quantized_nodes));
  if (writer.uses_contrib_domain()) model.opsets["com.microsoft"] = 1;
  QPLAY_RETURN_IF_ERROR(FinishRewrite(model));
  return result;
}

}  // namespace qplay
