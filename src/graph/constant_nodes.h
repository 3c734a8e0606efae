// Constant nodes become initializers of their graph, as ONNX Runtime does when it loads a
// model: exporters such as PaddlePaddle's keep every weight in a Constant node, and to qplay's
// summary, layer table, weight views and quantizers a weight is an initializer.
#pragma once
#include "ir/model.h"

namespace qplay {

// Moves each Constant node's value into its graph's initializers (subgraphs too) and drops the
// node; a Constant that is a graph output, or whose value qplay cannot read, stays a node.
void HoistConstantNodes(Model& model);

}  // namespace qplay
