// The pieces the StaticQuantizer writes a QDQ graph with: constants stored quantized behind
// a DequantizeLinear, and QuantizeLinear -> DequantizeLinear pairs on activations. 16-bit
// types use ONNX Runtime's com.microsoft Q/DQ below ai.onnx opset 21, which takes them (and 4-bit
// types) itself.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/ir.h"
#include "quant/qparams.h"

namespace qplay {

// How one tensor is quantized: element type, symmetry and the integer range they give.
struct TensorFormat {
  DataType type = DataType::kUint8;
  bool symmetric = false;
  QuantRange range;
};

Result<TensorFormat> FormatFor(DataType type, bool symmetric, bool reduce_range);

struct QuantizedConstant {
  Tensor values;                 // in the format's type
  std::vector<QParams> params;   // one per channel along the axis, or one
};

// Parameters from a float constant's own range: one for the whole tensor (axis < 0), or one per
// channel along `axis`.
std::vector<QParams> ParamsFromRange(const Tensor& values, int64_t axis, const TensorFormat& format);

// Quantizes a float constant with `params`: one for the whole tensor, or one per channel along
// `axis`.
QuantizedConstant QuantizeConstant(const Tensor& values, int64_t axis, const TensorFormat& format, std::vector<QParams> params);

// The same with parameters from its own range.
inline QuantizedConstant QuantizeConstant(const Tensor& values, int64_t axis, const TensorFormat& format) {
  return QuantizeConstant(values, axis, format, ParamsFromRange(values, axis, format));
}

// A 2-D float matrix transposed ([K, N] <-> [N, K]), for weights written in the other layout.
Tensor TransposedMatrix(const Tensor& w);

class QdqWriter {
 public:
  // `opset`: the ai.onnx opset the model imports.
  QdqWriter(Graph& graph, int64_t opset);

  // Stores `constant` as initializers (values, scale, zero point unless `with_zero_point` is
  // false, as for int32 biases) behind a DequantizeLinear; returns the dequantized name.
  std::string AddDequantized(const std::string& base, const QuantizedConstant& constant, int64_t axis,
                             bool with_zero_point, std::vector<Node>& nodes);

  // Stores `constant` (one set of parameters) as initializers, appends `picker` (an op that only
  // picks elements, as Gather) reading it as input 0 in 8 bits, then a DequantizeLinear that
  // gives the picker's output its float values.
  void AddPickedThenDequantized(const std::string& base, const QuantizedConstant& constant, Node picker, std::vector<Node>& nodes);

  // QuantizeLinear -> DequantizeLinear on activation `name`; returns the dequantized name.
  std::string AddQdq(const std::string& name, const QParams& params, DataType type, std::vector<Node>& nodes);

  const Graph& graph() const { return graph_; }

  // Whether a 16-bit type made the graph use com.microsoft Q/DQ.
  bool used_contrib_domain() const { return used_contrib_domain_; }

 private:
  std::string AddParamsInitializers(const std::string& base, const std::vector<QParams>& params, DataType zp_type,
                                    bool with_zero_point);
  using QdqMaker = Node (*)(const std::string& domain, const std::string& name, std::vector<std::string> inputs,
                           const std::string& output);
  Node MakeNode(QdqMaker make, DataType type, const std::string& name, std::vector<std::string> inputs,
                const std::string& output);

  // `base`, or base_1, base_2...: a node name no node of the graph or made here has.
  std::string FreshNodeName(const std::string& base);

  Graph& graph_;
  int64_t opset_;
  std::set<std::string> node_names_;  // of the graph's nodes and those made here
  std::map<std::string, std::string> scale_to_zero_point_;
  bool used_contrib_domain_ = false;
};

}  // namespace qplay
