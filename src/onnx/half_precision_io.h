// A file's float16 and bfloat16 graph inputs and outputs, which qplay holds as float32, written
// back with their own types: each such input is cast to float32 where the graph reads it, and
// each such output cast back from float32, so a quantized or converted model keeps the
// interface of the model it came from.
#pragma once
#include <map>
#include <string>

#include "ir/ir.h"

namespace qplay {

Graph WithHalfPrecisionIo(const Graph& graph, const std::map<std::string, DataType>& half_io);

}  // namespace qplay
