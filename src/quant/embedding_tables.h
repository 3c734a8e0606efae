// Embedding tables: Gather nodes that pick rows of a constant float [rows, width] table (token
// and position embeddings), often the largest weights of a text model. Stored quantized:
//   8 bits, per tensor: Gather on the 8-bit table, then DequantizeLinear of the rows it picked,
//     as ONNX Runtime's quantize_dynamic writes an embedding (dynamic, and weight-only in QDQ);
//   blocks: com.microsoft GatherBlockQuantized, blocks of `block_size` along each row (weight-only
//     4 bits, or 8 bits in the QOperator format), as ONNX Runtime's weight-only quantizer writes it.
#pragma once
#include <vector>

#include "ir/ir.h"
#include "quant/qdq_writer.h"

namespace qplay {

// The table `node` gathers rows of, or null when it is not a Gather along axis 0 of a constant,
// non-empty 2-D float table.
const Tensor* EmbeddingTable(const Graph& graph, const Node& node);

// Appends Gather(8-bit table) -> DequantizeLinear in `format` (per tensor) to `nodes`.
void WriteGatherThenDequantize(QdqWriter& writer, const Node& node, const TensorFormat& format, std::vector<Node>& nodes);

// Appends GatherBlockQuantized to `nodes`; false, writing nothing, when a row's width does not
// fill whole bytes at `bits` per value.
bool WriteGatherBlockQuantized(Graph& graph, const Node& node, int64_t bits, int64_t block_size, bool symmetric,
                               std::vector<Node>& nodes);

}  // namespace qplay
