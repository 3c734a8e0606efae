// Static type and shape inference over the IR, with symbolic dimensions ("batch") carried
// through. Small integer tensors that describe shapes (Shape -> Gather -> Concat -> Reshape)
// are tracked element by element, so dynamic-batch models still get full shapes.
#pragma once
#include "ir/model.h"

namespace qplay {

// Fills graph.value_types for every node output it can infer, in the main graph and in
// subgraphs. Declared types (value_info) are replaced by inferred ones where the latter are
// known. Never fails: what cannot be inferred stays unknown (the runtime reports real errors).
void InferShapes(Model& model);

}  // namespace qplay
