#include "quant/qdq_writer.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/quantize.h"
#include "passes/graph_edit.h"
#include "quant/observers.h"

namespace qplay {
namespace {

// Channels along `axis` (1 when axis < 0) and the index step between consecutive channels.
std::pair<int64_t, int64_t> ChannelLayout(const Tensor& w, int64_t axis) {
  if (axis < 0) return {1, 1};
  int64_t inner = 1;
  for (int64_t d = axis + 1; d < w.rank(); ++d) inner *= w.dim(d);
  return {w.dim(axis), inner};
}

}  // namespace

Result<TensorFormat> FormatFor(DataType type, bool symmetric, bool reduce_range) {
  auto range = RangeFor(type, symmetric, reduce_range);
  if (!range.ok()) return range.status();
  return TensorFormat{type, symmetric, *range};
}

std::vector<QParams> ParamsFromRange(const Tensor& w, int64_t axis, const TensorFormat& format) {
  const auto [channels, inner] = ChannelLayout(w, axis);
  constexpr float kInf = std::numeric_limits<float>::infinity();
  std::vector<FloatRange> ranges(channels, FloatRange{kInf, -kInf});
  for (int64_t i = 0; i < w.size(); ++i) {
    FloatRange& r = ranges[(i / inner) % channels];
    r.min = std::min(r.min, w.data<float>()[i]);
    r.max = std::max(r.max, w.data<float>()[i]);
  }
  std::vector<QParams> params;
  for (const FloatRange& r : ranges) params.push_back(ComputeQParams(r.min, r.max, format.range, format.symmetric));
  return params;
}

QuantizedConstant QuantizeConstant(const Tensor& w, int64_t axis, const TensorFormat& format, std::vector<QParams> params) {
  const auto [channels, inner] = params.size() == 1 ? std::pair<int64_t, int64_t>{1, 1} : ChannelLayout(w, axis);
  QuantizedConstant q{Tensor(format.type, w.shape()), std::move(params)};
  for (int64_t i = 0; i < w.size(); ++i) {
    const QParams& p = q.params[(i / inner) % channels];
    const float real = std::nearbyint(w.data<float>()[i] / p.scale) + static_cast<float>(p.zero_point);
    // A NaN weight (or 0/0) has no level: it is stored as the zero point, i.e. 0.
    const float level = std::isnan(real) ? static_cast<float>(p.zero_point)
                                         : std::clamp(real, static_cast<float>(format.range.qmin), static_cast<float>(format.range.qmax));
    VisitNumeric(format.type, [&](auto tag) { q.values.data<decltype(tag)>()[i] = static_cast<decltype(tag)>(level); });
  }
  return q;
}

Tensor TransposedMatrix(const Tensor& w) {
  Tensor t(DataType::kFloat, {w.dim(1), w.dim(0)});
  for (int64_t i = 0; i < w.dim(0); ++i)
    for (int64_t j = 0; j < w.dim(1); ++j) t.data<float>()[j * w.dim(0) + i] = w.data<float>()[i * w.dim(1) + j];
  return t;
}

QdqWriter::QdqWriter(Graph& graph, int64_t opset) : graph_(graph), opset_(opset) {
  for (const Node& n : graph.nodes) node_names_.insert(n.name);
}

std::string QdqWriter::FreshNodeName(const std::string& base) {
  std::string name = base;
  for (int i = 1; node_names_.count(name); ++i) name = base + "_" + std::to_string(i);
  node_names_.insert(name);
  return name;
}

std::string QdqWriter::AddDequantized(const std::string& base, const QuantizedConstant& constant, int64_t axis,
                                      bool with_zero_point, std::vector<Node>& nodes) {
  const DataType type = constant.values.dtype();
  const std::string q_name = FreshName(graph_, base + "_quantized");
  graph_.initializers[q_name] = constant.values;
  const std::string scale = AddParamsInitializers(base, constant.params, type, with_zero_point);
  Node dq = MakeNode(MakeDequantizeLinear, type, base + "_DequantizeLinear", {q_name, scale}, base + "_dequantized");
  if (with_zero_point) dq.inputs.push_back(scale_to_zero_point_[scale]);
  if (constant.params.size() > 1) dq.attributes["axis"] = Attribute::Int(axis);
  nodes.push_back(dq);
  return dq.outputs[0];
}

void QdqWriter::AddPickedThenDequantized(const std::string& base, const QuantizedConstant& constant, Node picker,
                                         std::vector<Node>& nodes) {
  const DataType type = constant.values.dtype();
  picker.inputs[0] = FreshName(graph_, base + "_quantized");
  graph_.initializers[picker.inputs[0]] = constant.values;
  const std::string scale = AddParamsInitializers(base, constant.params, type, true);
  const std::string output = picker.outputs[0];
  picker.outputs[0] = FreshName(graph_, output + "_quantized");
  graph_.value_types[picker.outputs[0]] = ValueType{};
  Node dq = MakeNode(MakeDequantizeLinear, type, picker.name + "_DequantizeLinear", {picker.outputs[0], scale, scale_to_zero_point_[scale]},
                     output + "_dequantized");
  graph_.value_types.erase(dq.outputs[0]);
  dq.outputs[0] = output;  // the readers of the picker's output read the float values
  nodes.push_back(std::move(picker));
  nodes.push_back(std::move(dq));
}

std::string QdqWriter::AddQdq(const std::string& name, const QParams& params, DataType type, std::vector<Node>& nodes) {
  const std::string scale = AddParamsInitializers(name, {params}, type, true);
  const std::string zero_point = scale_to_zero_point_[scale];
  Node q = MakeNode(MakeQuantizeLinear, type, name + "_QuantizeLinear", {name, scale, zero_point}, name + "_quantized");
  Node dq = MakeNode(MakeDequantizeLinear, type, name + "_DequantizeLinear", {q.outputs[0], scale, zero_point},
                     name + "_dequantized");
  nodes.push_back(q);
  nodes.push_back(dq);
  return dq.outputs[0];
}

std::string QdqWriter::AddParamsInitializers(const std::string& base, const std::vector<QParams>& params,
                                             DataType zp_type, bool with_zero_point) {
  const bool scalar = params.size() == 1;
  const Shape shape = scalar ? Shape{} : Shape{static_cast<int64_t>(params.size())};
  Tensor scale(DataType::kFloat, shape), zero_point(zp_type, shape);
  for (size_t c = 0; c < params.size(); ++c) {
    scale.data<float>()[c] = params[c].scale;
    VisitNumeric(zp_type, [&](auto tag) { zero_point.data<decltype(tag)>()[c] = static_cast<decltype(tag)>(params[c].zero_point); });
  }
  const std::string scale_name = FreshName(graph_, base + "_scale");
  graph_.initializers[scale_name] = scale;
  if (with_zero_point) {
    const std::string zp_name = FreshName(graph_, base + "_zero_point");
    graph_.initializers[zp_name] = zero_point;
    scale_to_zero_point_[scale_name] = zp_name;
  }
  return scale_name;
}

Node QdqWriter::MakeNode(QdqMaker make, DataType type, const std::string& name, std::vector<std::string> inputs,
                         const std::string& output) {
  const bool contrib = IsSixteenBitInteger(type) && opset_ < 21;
  used_contrib_domain_ = used_contrib_domain_ || contrib;
  Node n = make(contrib ? "com.microsoft" : "", FreshNodeName(name), std::move(inputs), FreshName(graph_, output));
  graph_.value_types[n.outputs[0]] = ValueType{};  // reserve the name
  return n;
}

}  // namespace qplay
