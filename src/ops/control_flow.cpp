// If, Loop and Scan: their outputs are typed by inferring their subgraphs in the enclosing scope.
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

// Axis `attr`[i] of a Scan (default 0), made non-negative against `rank`; -1 when out of range.
int64_t ScanAxis(const Node& node, const char* attr, size_t i, int64_t rank) {
  const std::vector<int64_t> axes = node.GetInts(attr);
  int64_t axis = i < axes.size() ? axes[i] : 0;
  return NormalizeAxis(axis, rank) ? axis : -1;
}

// States keep their input's type; the body sees each scan input without its scan axis; each scan
// output is the body's with the sequence inserted at its scan_output_axes entry.
std::vector<ValueInfo> ScanInfer(InferContext& ctx) {
  std::vector<ValueInfo> outs(ctx.num_outputs());
  const auto scans = static_cast<size_t>(ctx.node.GetInt("num_scan_inputs", 0));
  if (scans > ctx.num_inputs()) return outs;
  const size_t states = ctx.num_inputs() - scans;
  for (size_t i = 0; i < states && i < outs.size(); ++i) outs[i] = ValueInfo::Typed(ctx.in(i).dtype, ctx.in(i).shape);
  Graph* body = Subgraph(ctx.node, "body");
  if (!body) return outs;
  std::vector<ValueType> seeds;
  for (size_t i = 0; i < states; ++i) seeds.push_back({ctx.in(i).dtype, ctx.in(i).shape, true});
  Dim length;
  for (size_t j = 0; j < scans; ++j) {
    const ValueInfo& in = ctx.in(states + j);
    std::optional<Dims> slice;
    if (const int64_t axis = in.shape ? ScanAxis(ctx.node, "scan_input_axes", j, in.rank()) : -1; axis >= 0) {
      slice = *in.shape;
      if (j == 0) length = (*slice)[axis];
      slice->erase(slice->begin() + axis);
    }
    seeds.push_back({in.dtype, slice, true});
  }
  for (size_t i = 0; i < body->inputs.size() && i < seeds.size(); ++i) {
    ValueType& declared = body->value_types[body->inputs[i]];
    if (declared.dtype == DataType::kUndefined) declared = seeds[i];
  }
  ctx.InferSubgraph(*body);
  for (size_t k = states; k < outs.size() && k < body->outputs.size(); ++k) {
    ValueInfo element = FromType(body->TypeOf(body->outputs[k]));
    if (element.shape) {
      const int64_t axis = ScanAxis(ctx.node, "scan_output_axes", k - states, element.rank() + 1);
      if (axis >= 0) element.shape->insert(element.shape->begin() + axis, length);
      else element.shape = std::nullopt;
    }
    outs[k] = element;
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
  // Scan-8 scanned a leading batch axis with sequence_lens; from 9 every input is scanned whole.
  r.Add(OpSchema("Scan", 9).Input("initial_state_and_scan_inputs", "V", kVariadic).Output("final_state_and_scan_outputs", "V", kVariadic)
            .Attr("body", AttrType::kGraph).Attr("num_scan_inputs", AttrType::kInt, std::nullopt, AtLeast(1))
            .OptionalAttr("scan_input_axes", AttrType::kInts).OptionalAttr("scan_input_directions", AttrType::kInts)
            .OptionalAttr("scan_output_axes", AttrType::kInts).OptionalAttr("scan_output_directions", AttrType::kInts)
            .Infer(ScanInfer));
}

}  // namespace qplay
