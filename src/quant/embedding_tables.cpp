#include "quant/embedding_tables.h"

#include <cstring>

#include "ops/block_quantized.h"
#include "ops/tensor_ops.h"
#include "passes/graph_edit.h"
#include "quant/block_packing.h"

namespace qplay {

const Tensor* EmbeddingTable(const Graph& graph, const Node& node) {
  if (!IsOp(node, ops::kGather) || node.GetInt("axis", 0) != 0) return nullptr;
  const Tensor* table = FloatInitializer(graph, node, 0);
  return table && table->rank() == 2 && table->size() > 0 && !graph.IsInitializer(node.inputs[1]) ? table : nullptr;
}

void WriteGatherThenDequantize(QdqWriter& writer, const Node& node, const TensorFormat& format, std::vector<Node>& nodes) {
  writer.AddPickedThenDequantized(node.inputs[0], QuantizeConstant(*EmbeddingTable(writer.graph(), node), -1, format), node, nodes);
}

bool WriteGatherBlockQuantized(Graph& graph, const Node& node, int64_t bits, int64_t block_size, bool symmetric,
                               std::vector<Node>& nodes) {
  const Tensor& table = *EmbeddingTable(graph, node);
  const int64_t rows = table.dim(0), width = table.dim(1);
  if (width * bits % 8) return false;
  // PackBlocks pads each row to whole blocks; GatherBlockQuantized's rows are exactly `width` values.
  const NBitsWeight packed = PackBlocks(table, block_size, bits, symmetric);
  const int64_t row_bytes = width * bits / 8, padded_row_bytes = packed.blocks * block_size * bits / 8;
  Tensor data(DataType::kUint8, {rows, row_bytes});
  for (int64_t r = 0; r < rows; ++r)
    std::memcpy(data.data<uint8_t>() + r * row_bytes, packed.codes.data<uint8_t>() + r * padded_row_bytes, row_bytes);
  auto add = [&](const std::string& suffix, Tensor value) {
    const std::string name = FreshName(graph, node.inputs[0] + suffix);
    graph.initializers[name] = std::move(value);
    return name;
  };
  Node gather = MakeNode(ops::kGatherBlockQuantized, node.name + "_quantized",
                         {add("_" + std::to_string(bits) + "bit", std::move(data)), node.inputs[1],
                          add("_scales", packed.scales.Reshaped({rows, packed.blocks}))},
                         node.outputs);
  if (!symmetric)
    gather.inputs.push_back(add("_zero_points", packed.zero_points.Reshaped({rows, packed.zero_points.size() / rows})));
  gather.attributes["bits"] = Attribute::Int(bits);
  gather.attributes["block_size"] = Attribute::Int(block_size);
  nodes.push_back(std::move(gather));
  return true;
}

}  // namespace qplay
