// Checks every node against its op schema (ops/schema.h) and infers types and shapes over
// the IR, with symbolic dimensions ("batch") carried through. Small integer tensors that
// describe shapes (Shape -> Gather -> Concat -> Reshape) are tracked element by element, so
// dynamic-batch models still get full shapes; nodes whose inputs are all small constants are
// evaluated with their reference kernels.
#pragma once
#include "core/status.h"
#include "ir/model.h"

namespace qplay {

// Fills graph.value_types for every node output it can infer, in the main graph and in
// subgraphs. Declared types (value_info) are replaced by inferred ones where the latter are
// known. Fails on the first node that breaks its schema (arity, attribute, type), naming the
// node and what was expected; ops without a schema at the model's opset are left to the
// runtime, which refuses them by name.
Status InferShapes(Model& model);

}  // namespace qplay
