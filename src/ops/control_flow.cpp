// If and Loop: their outputs are typed by inferring their subgraphs in the enclosing scope.
#include "ops/schema.h"

namespace qplay {
namespace {

ValueInfo FromType(const ValueType* type) {
  ValueInfo info;
  if (type && type->is_tensor) info = ValueInfo::Typed(type->dtype, type->shape);
  return info;
}

Graph* Subgraph(const Node& node, const std::string& name) {
  auto it = node.attributes.find(name);
  return it == node.attributes.end() ? nullptr : it->second.g.get();
}

// Each output: the then-branch's type, its dims kept where the else-branch agrees.
std::vector<ValueInfo> IfInfer(InferContext& ctx) {
  std::vector<ValueInfo> outs(ctx.num_outputs());
  bool first = true;
  for (const char* branch : {"then_branch", "else_branch"}) {
    Graph* g = Subgraph(ctx.node, branch);
    if (!g) continue;
    ctx.InferSubgraph(*g);
    for (size_t i = 0; i < outs.size() && i < g->outputs.size(); ++i) {
      ValueInfo branch_out = FromType(g->TypeOf(g->outputs[i]));
      if (first) outs[i] = branch_out;
      else if (outs[i].shape && branch_out.shape && outs[i].shape->size() == branch_out.shape->size()) {
        for (size_t d = 0; d < outs[i].shape->size(); ++d)
          if (!SameDim((*outs[i].shape)[d], (*branch_out.shape)[d])) (*outs[i].shape)[d] = Dim{};
      } else {
        outs[i].shape = std::nullopt;
      }
    }
    first = false;
  }
  return outs;
}

// Carried values keep their input's type; scan outputs gain a leading dim of unknown length.
std::vector<ValueInfo> LoopInfer(InferContext& ctx) {
  std::vector<ValueInfo> outs(ctx.num_outputs());
  const size_t carried = ctx.num_inputs() > 2 ? ctx.num_inputs() - 2 : 0;
  for (size_t i = 0; i < carried && i < outs.size(); ++i) outs[i] = ValueInfo::Typed(ctx.in(2 + i).dtype, ctx.in(2 + i).shape);
  Graph* body = Subgraph(ctx.node, "body");
  if (!body) return outs;
  // Body inputs: iteration number, condition, then the carried values (types may be omitted).
  std::vector<ValueType> seeds{{DataType::kInt64, Dims{}, true}, {DataType::kBool, Dims{}, true}};
  for (size_t i = 0; i < carried; ++i) seeds.push_back({ctx.in(2 + i).dtype, ctx.in(2 + i).shape, true});
  for (size_t i = 0; i < body->inputs.size() && i < seeds.size(); ++i) {
    ValueType& declared = body->value_types[body->inputs[i]];
    if (declared.dtype == DataType::kUndefined) declared = seeds[i];
  }
  ctx.InferSubgraph(*body);
  for (size_t i = carried; i < outs.size() && 1 + i < body->outputs.size(); ++i) {
    ValueInfo scan = FromType(body->TypeOf(body->outputs[1 + i]));
    if (scan.shape) scan.shape->insert(scan.shape->begin(), Dim{});
    outs[i] = scan;
  }
  return outs;
}

}  // namespace

void RegisterControlFlowSchemas(SchemaRegistry& r) {
  r.Add(OpSchema("If", 1).Input("cond", "B").Output("outputs", "V", kVariadic).Types("B", {DataType::kBool})
            .Attr("then_branch", AttrType::kGraph).Attr("else_branch", AttrType::kGraph).Infer(IfInfer));
  r.Add(OpSchema("Loop", 1).Input("M", "I", kOptional).Input("cond", "B", kOptional)
            .Input("v_initial", "", kOptional | kVariadic).Output("v_final_and_scan_outputs", "V", kVariadic)
            .Types("I", {DataType::kInt64}).Types("B", {DataType::kBool}).Attr("body", AttrType::kGraph).Infer(LoopInfer));
}

}  // namespace qplay
