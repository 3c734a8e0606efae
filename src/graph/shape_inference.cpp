#include "graph/shape_inference.h"

#include <set>

#include "kernels/conv_geometry.h"
#include "kernels/registry.h"

namespace qplay {
namespace {

using Dims = std::vector<Dim>;

// What is known about one value: element type, shape, and for small integer tensors the
// elements themselves (numbers or symbols), and for constants the whole tensor.
struct Info {
  DataType dtype = DataType::kUndefined;
  std::optional<Dims> shape;
  std::optional<Dims> elements;
  std::optional<Tensor> constant;
};

bool SameDim(const Dim& a, const Dim& b) {
  if (a.known() || b.known()) return a.known() && b.known() && *a.value == *b.value;
  return !a.symbol.empty() && a.symbol == b.symbol;
}

Dims KnownDims(const Shape& shape) {
  Dims d;
  for (int64_t v : shape) d.push_back(Dim::Known(v));
  return d;
}

// Product of dims: a number when all are known, the symbol when one symbol times ones.
Dim Product(const Dims& dims, size_t begin, size_t end) {
  int64_t known = 1;
  const Dim* symbolic = nullptr;
  int symbols = 0;
  for (size_t i = begin; i < end; ++i) {
    if (dims[i].known()) known *= *dims[i].value;
    else symbolic = &dims[i], ++symbols;
  }
  if (symbols == 0) return Dim::Known(known);
  if (symbols == 1 && known == 1) return *symbolic;
  return Dim{};
}

// a op b for shape elements; symbolic operands give an expression symbol ("batch*2").
Dim DimArithmetic(const std::string& op, const Dim& a, const Dim& b) {
  if (a.known() && b.known()) {
    const int64_t p = *a.value, q = *b.value;
    return Dim::Known(op == "Mul" ? p * q : op == "Add" ? p + q : op == "Sub" ? p - q : (q ? p / q : 0));
  }
  const bool identity = b.known() && ((op == "Mul" || op == "Div") ? *b.value == 1 : *b.value == 0);
  if (identity) return a;
  if (op == "Mul" && a.known() && *a.value == 1) return b;
  if ((!a.known() && a.symbol.empty()) || (!b.known() && b.symbol.empty())) return Dim{};
  const char* sign = op == "Mul" ? "*" : op == "Add" ? "+" : op == "Sub" ? "-" : "/";
  return Dim::Symbolic(a.ToString() + sign + b.ToString());
}

std::optional<Dims> Broadcast(const std::vector<const std::optional<Dims>*>& shapes) {
  size_t rank = 0;
  for (const auto* s : shapes) {
    if (!*s) return std::nullopt;
    rank = std::max(rank, (*s)->size());
  }
  Dims out(rank, Dim::Known(1));
  for (const auto* s : shapes)
    for (size_t j = 0; j < (*s)->size(); ++j) {
      Dim& o = out[rank - 1 - j];
      const Dim& d = (**s)[(*s)->size() - 1 - j];
      if (d.known() && *d.value == 1) continue;
      if (o.known() && *o.value == 1) o = d;
      else if (!SameDim(o, d)) o = o.known() ? o : (d.known() ? d : Dim{});
    }
  return out;
}

// Integer elements of a value: from its constant or its tracked elements.
std::optional<Dims> Elements(const Info& info) {
  if (info.elements) return info.elements;
  if (info.constant && info.constant->size() <= 64 && info.constant->dtype() != DataType::kFloat &&
      info.constant->dtype() != DataType::kDouble)
    return KnownDims(info.constant->ToInt64Vector());
  return std::nullopt;
}

std::optional<std::vector<int64_t>> KnownInts(const Info& info) {
  auto e = Elements(info);
  if (!e) return std::nullopt;
  std::vector<int64_t> out;
  for (const Dim& d : *e) {
    if (!d.known()) return std::nullopt;
    out.push_back(*d.value);
  }
  return out;
}

class Inferencer {
 public:
  explicit Inferencer(const Model& model) : model_(model) {}

  void InferGraph(Graph& graph, std::map<std::string, Info> scope) {
    for (const auto& name : graph.inputs) scope[name] = FromType(graph.TypeOf(name));
    for (const auto& [name, tensor] : graph.initializers) scope[name] = {tensor.dtype(), KnownDims(tensor.shape()), {}, tensor};
    for (Node& node : graph.nodes) {
      std::vector<Info> inputs;
      for (const auto& name : node.inputs) {
        auto it = scope.find(name);
        inputs.push_back(name.empty() || it == scope.end() ? Info{} : it->second);
      }
      std::vector<Info> outputs = Infer(node, inputs, scope);
      outputs.resize(node.outputs.size());
      for (size_t i = 0; i < node.outputs.size(); ++i) {
        if (node.outputs[i].empty()) continue;
        Info& out = outputs[i];
        const ValueType* declared = graph.TypeOf(node.outputs[i]);
        if (declared && out.dtype == DataType::kUndefined) out.dtype = declared->dtype;
        if (declared && !out.shape) out.shape = declared->shape;
        if (out.dtype != DataType::kUndefined || out.shape) graph.value_types[node.outputs[i]] = {out.dtype, out.shape, true};
        scope[node.outputs[i]] = std::move(out);
      }
    }
  }

 private:
  static Info FromType(const ValueType* type) {
    Info info;
    if (type && type->is_tensor) {
      info.dtype = type->dtype;
      info.shape = type->shape;
    }
    return info;
  }

  int64_t Opset(const Node& node) const {
    auto it = model_.opsets.find(node.domain);
    return it == model_.opsets.end() ? 0 : it->second;
  }

  // Evaluates a node whose inputs are all small constants with the real kernel.
  std::optional<std::vector<Info>> Fold(const Node& node, const std::vector<Info>& in) {
    if (node.op_type == "If" || node.op_type == "Loop") return std::nullopt;
    KernelFn kernel = KernelRegistry::Get().Find(node.domain, node.op_type);
    if (!kernel) return std::nullopt;
    std::vector<const Tensor*> tensors;
    int64_t elements = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      if (node.inputs[i].empty()) {
        tensors.push_back(nullptr);
        continue;
      }
      if (!in[i].constant) return std::nullopt;
      elements += in[i].constant->size();
      tensors.push_back(&*in[i].constant);
    }
    if (elements > 4096) return std::nullopt;
    while (!tensors.empty() && !tensors.back()) tensors.pop_back();
    KernelContext ctx(node, Opset(node), tensors, nullptr);
    if (!kernel(ctx).ok()) return std::nullopt;
    std::vector<Info> out;
    for (const Tensor& t : ctx.outputs())
      out.push_back(t.empty() ? Info{} : Info{t.dtype(), KnownDims(t.shape()), {}, t});
    return out;
  }

  std::vector<Info> Infer(Node& node, const std::vector<Info>& in, const std::map<std::string, Info>& scope);

  const Model& model_;
};

const std::set<std::string> kSameTypeAndShape = {
    "Relu", "LeakyRelu", "Elu", "Celu", "Selu", "ThresholdedRelu", "Sigmoid", "Tanh", "Softplus", "Softsign",
    "HardSigmoid", "HardSwish", "Gelu", "Clip", "Sqrt", "Exp", "Log", "Erf", "Reciprocal", "Floor", "Ceil",
    "Round", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Abs",
    "Neg", "Sign", "Not", "Softmax", "LogSoftmax", "Hardmax", "LRN", "BatchNormalization",
    "InstanceNormalization", "Identity", "Trilu", "CumSum"};
const std::set<std::string> kBroadcastSameType = {"Add", "Sub", "Mul", "Div", "Mod", "Pow", "Sum", "Mean", "Min",
                                                  "Max", "And", "Or", "Xor", "BitShift", "PRelu"};
const std::set<std::string> kCompare = {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"};
const std::set<std::string> kReduce = {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
                                       "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"};

std::vector<Info> Inferencer::Infer(Node& node, const std::vector<Info>& in, const std::map<std::string, Info>& scope) {
  const std::string& op = node.op_type;
  const int64_t opset = Opset(node);
  auto input = [&](size_t i) -> const Info& {
    static const Info kNone;
    return i < in.size() ? in[i] : kNone;
  };
  const Info& x = input(0);
  const std::optional<Dims>& xs = x.shape;
  const int64_t rank = xs ? static_cast<int64_t>(xs->size()) : -1;
  auto same = [&](DataType t) { return Info{t, xs, {}, {}}; };
  auto shaped = [](DataType t, Dims d) { return Info{t, std::move(d), {}, {}}; };

  if (node.op_type == "Constant") {
    if (auto folded = Fold(node, in)) return *folded;
    return {};
  }
  if (!in.empty()) {
    bool all_constant = true;
    for (size_t i = 0; i < in.size(); ++i) all_constant = all_constant && (node.inputs[i].empty() || in[i].constant);
    if (all_constant)
      if (auto folded = Fold(node, in)) return *folded;
  }

  if (kSameTypeAndShape.count(op)) {
    Info out = same(x.dtype);
    if (op == "Identity") out.elements = x.elements;
    return {out};
  }
  if (op == "Dropout") return {same(x.dtype), same(DataType::kBool)};
  if (op == "IsNaN" || op == "IsInf") return {same(DataType::kBool)};
  if (op == "Cast") {
    Info out = same(static_cast<DataType>(node.GetInt("to", 0)));
    out.elements = x.elements;
    return {out};
  }
  if (op == "CastLike") return {same(input(1).dtype)};
  if (op == "EyeLike") return {same(node.Has("dtype") ? static_cast<DataType>(node.GetInt("dtype", 1)) : x.dtype)};

  if (kBroadcastSameType.count(op) || kCompare.count(op) || op == "Where") {
    std::vector<const std::optional<Dims>*> shapes;
    for (const Info& i : in) shapes.push_back(&i.shape);
    DataType type = kCompare.count(op) ? DataType::kBool : op == "Where" ? input(1).dtype : x.dtype;
    Info out{type, Broadcast(shapes), {}, {}};
    // Arithmetic on shape elements stays exact: numbers, or expressions such as "batch*2".
    if ((op == "Mul" || op == "Add" || op == "Sub" || op == "Div") && in.size() == 2) {
      auto a = Elements(in[0]), b = Elements(in[1]);
      if (a && b && (a->size() == b->size() || b->size() == 1)) {
        Dims e;
        for (size_t i = 0; i < a->size(); ++i) e.push_back(DimArithmetic(op, (*a)[i], (*b)[b->size() == 1 ? 0 : i]));
        out.elements = e;
      }
    }
    return {out};
  }

  if (op == "Shape") {
    if (!xs) return {Info{DataType::kInt64, std::nullopt, {}, {}}};
    int64_t start = node.GetInt("start", 0), end = node.GetInt("end", rank);
    if (start < 0) start += rank;
    if (end < 0) end += rank;
    start = std::clamp<int64_t>(start, 0, rank);
    end = std::clamp<int64_t>(end, start, rank);
    Dims e(xs->begin() + start, xs->begin() + end);
    return {Info{DataType::kInt64, Dims{Dim::Known(end - start)}, e, {}}};
  }
  if (op == "Size") return {Info{DataType::kInt64, Dims{}, xs ? std::optional<Dims>(Dims{Product(*xs, 0, xs->size())}) : std::nullopt, {}}};

  if (op == "Reshape") {
    auto target = opset >= 5 ? Elements(input(1)) : std::optional<Dims>(KnownDims(node.GetInts("shape")));
    if (!target) return {Info{x.dtype, std::nullopt, {}, {}}};
    Dims out = *target;
    int infer = -1;
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i].known() && *out[i].value == 0 && !node.GetInt("allowzero", 0))
        out[i] = xs && i < xs->size() ? (*xs)[i] : Dim{};
      if (out[i].known() && *out[i].value == -1) infer = static_cast<int>(i), out[i] = Dim{};
    }
    if (infer >= 0 && xs) {
      // Cancel equal dims on both sides; what remains decides the -1.
      Dims rest_in = *xs, rest_out;
      for (size_t i = 0; i < out.size(); ++i) {
        if (static_cast<int>(i) == infer) continue;
        auto it = std::find_if(rest_in.begin(), rest_in.end(), [&](const Dim& d) { return SameDim(d, out[i]); });
        if (it != rest_in.end()) rest_in.erase(it);
        else rest_out.push_back(out[i]);
      }
      Dim num = Product(rest_in, 0, rest_in.size()), den = Product(rest_out, 0, rest_out.size());
      if (den.known() && *den.value == 1) out[infer] = num;
      else if (num.known() && den.known() && *den.value) out[infer] = Dim::Known(*num.value / *den.value);
    }
    Info result = shaped(x.dtype, out);
    if (x.elements && out.size() <= 1) result.elements = x.elements;
    return {result};
  }
  if (op == "Flatten") {
    if (!xs) return {Info{x.dtype, std::nullopt, {}, {}}};
    int64_t axis = node.GetInt("axis", 1);
    if (axis < 0) axis += rank;
    return {shaped(x.dtype, {Product(*xs, 0, axis), Product(*xs, axis, xs->size())})};
  }
  if (op == "Transpose") {
    if (!xs) return {Info{x.dtype, std::nullopt, {}, {}}};
    auto perm = node.GetInts("perm");
    if (perm.empty())
      for (int64_t d = rank; d-- > 0;) perm.push_back(d);
    Dims out;
    for (int64_t p : perm) out.push_back(p >= 0 && p < rank ? (*xs)[p] : Dim{});
    return {shaped(x.dtype, out)};
  }
  if (op == "Concat") {
    if (!xs) return {Info{x.dtype, std::nullopt, {}, {}}};
    int64_t axis = node.GetInt("axis", 0);
    if (!NormalizeAxis(axis, rank)) return {Info{x.dtype, std::nullopt, {}, {}}};
    Dims out = *xs;
    int64_t total = 0;
    bool known = true;
    Dims elements;
    bool have_elements = rank == 1;
    for (const Info& i : in) {
      if (!i.shape || static_cast<int64_t>(i.shape->size()) != rank) return {Info{x.dtype, std::nullopt, {}, {}}};
      const Dim& d = (*i.shape)[axis];
      known = known && d.known();
      if (d.known()) total += *d.value;
      auto e = Elements(i);
      if (e) elements.insert(elements.end(), e->begin(), e->end());
      else have_elements = false;
    }
    out[axis] = known ? Dim::Known(total) : Dim{};
    Info result = shaped(x.dtype, out);
    if (have_elements) result.elements = elements;
    return {result};
  }
  if (op == "Split") {
    std::vector<Info> outs(node.outputs.size(), Info{x.dtype, std::nullopt, {}, {}});
    if (!xs) return outs;
    int64_t axis = node.GetInt("axis", 0);
    if (!NormalizeAxis(axis, rank)) return outs;
    std::optional<std::vector<int64_t>> sizes =
        opset >= 13 ? (node.inputs.size() > 1 && !node.inputs[1].empty() ? KnownInts(input(1)) : std::vector<int64_t>{})
                    : std::optional<std::vector<int64_t>>(node.GetInts("split"));
    const Dim& d = (*xs)[axis];
    const int64_t parts = static_cast<int64_t>(outs.size());
    for (int64_t p = 0; p < parts; ++p) {
      Dims s = *xs;
      if (sizes && !sizes->empty()) s[axis] = Dim::Known((*sizes)[p]);
      else if (sizes && d.known()) {
        const int64_t chunk = (*d.value + parts - 1) / parts;
        s[axis] = Dim::Known(std::min(chunk, *d.value - p * chunk));
      } else s[axis] = Dim{};
      outs[p].shape = s;
    }
    return outs;
  }
  if (op == "Squeeze" || op == "Unsqueeze") {
    std::optional<std::vector<int64_t>> axes =
        opset >= 13 ? (node.inputs.size() > 1 && !node.inputs[1].empty() ? KnownInts(input(1)) : std::vector<int64_t>{})
                    : std::optional<std::vector<int64_t>>(node.GetInts("axes"));
    Info unknown{x.dtype, std::nullopt, {}, {}};
    if (!xs || !axes) return {unknown};
    Dims out;
    if (op == "Squeeze") {
      std::set<int64_t> drop;
      for (int64_t a : *axes) drop.insert(a < 0 ? a + rank : a);
      for (int64_t d = 0; d < rank; ++d) {
        const Dim& dim = (*xs)[d];
        const bool is_one = dim.known() && *dim.value == 1;
        if (axes->empty() ? is_one : drop.count(d)) continue;
        if (axes->empty() && !dim.known()) return {unknown};
        out.push_back(dim);
      }
    } else {
      const int64_t out_rank = rank + static_cast<int64_t>(axes->size());
      std::set<int64_t> add;
      for (int64_t a : *axes) add.insert(a < 0 ? a + out_rank : a);
      int64_t next = 0;
      for (int64_t d = 0; d < out_rank; ++d) out.push_back(add.count(d) ? Dim::Known(1) : (*xs)[next++]);
    }
    Info result = shaped(x.dtype, out);
    result.elements = Elements(x);
    return {result};
  }
  if (op == "Gather") {
    const Info& indices = input(1);
    if (!xs || !indices.shape) return {Info{x.dtype, std::nullopt, {}, {}}};
    int64_t axis = node.GetInt("axis", 0);
    if (!NormalizeAxis(axis, rank)) return {Info{x.dtype, std::nullopt, {}, {}}};
    Dims out(xs->begin(), xs->begin() + axis);
    out.insert(out.end(), indices.shape->begin(), indices.shape->end());
    out.insert(out.end(), xs->begin() + axis + 1, xs->end());
    Info result = shaped(x.dtype, out);
    auto data = Elements(x);
    auto idx = KnownInts(indices);
    if (data && idx && rank == 1) {
      Dims picked;
      for (int64_t i : *idx) {
        const int64_t j = i < 0 ? i + static_cast<int64_t>(data->size()) : i;
        picked.push_back(j >= 0 && j < static_cast<int64_t>(data->size()) ? (*data)[j] : Dim{});
      }
      result.elements = picked;
    }
    return {result};
  }
  if (op == "GatherElements") return {Info{x.dtype, input(1).shape, {}, {}}};
  if (op == "Slice") {
    Info unknown{x.dtype, xs ? std::optional<Dims>(Dims(xs->size())) : std::nullopt, {}, {}};
    if (!xs) return {unknown};
    std::optional<std::vector<int64_t>> starts, ends, axes, steps;
    if (opset < 10) {
      starts = node.GetInts("starts"), ends = node.GetInts("ends"), axes = node.GetInts("axes");
    } else {
      starts = KnownInts(input(1)), ends = KnownInts(input(2));
      axes = node.inputs.size() > 3 && !node.inputs[3].empty() ? KnownInts(input(3)) : std::vector<int64_t>{};
      steps = node.inputs.size() > 4 && !node.inputs[4].empty() ? KnownInts(input(4)) : std::vector<int64_t>{};
    }
    if (!starts || !ends || !axes || (opset >= 10 && !steps)) return {unknown};
    Dims out = *xs;
    auto elements = Elements(x);
    for (size_t i = 0; i < starts->size(); ++i) {
      int64_t axis = axes->empty() ? static_cast<int64_t>(i) : (*axes)[i];
      if (!NormalizeAxis(axis, rank)) return {unknown};
      const int64_t step = steps && !steps->empty() ? (*steps)[i] : 1;
      const Dim& d = (*xs)[axis];
      if (!d.known()) {
        const bool whole = (*starts)[i] == 0 && (*ends)[i] >= (int64_t{1} << 31) && step == 1;
        out[axis] = whole ? d : Dim{};
        continue;
      }
      const int64_t n = *d.value;
      int64_t b = (*starts)[i] < 0 ? (*starts)[i] + n : (*starts)[i];
      int64_t e = (*ends)[i] < 0 ? (*ends)[i] + n : (*ends)[i];
      int64_t count;
      if (step > 0) {
        b = std::clamp<int64_t>(b, 0, n), e = std::clamp<int64_t>(e, 0, n);
        count = e > b ? (e - b + step - 1) / step : 0;
      } else {
        b = std::clamp<int64_t>(b, -1, n - 1), e = std::clamp<int64_t>(e, -1, n - 1);
        count = b > e ? (b - e - step - 1) / -step : 0;
      }
      out[axis] = Dim::Known(count);
      if (elements && rank == 1) {
        Dims picked;
        for (int64_t k = 0; k < count; ++k) picked.push_back((*elements)[b + k * step]);
        elements = picked;
      }
    }
    Info result = shaped(x.dtype, out);
    if (rank == 1) result.elements = elements;
    return {result};
  }
  if (op == "Expand") {
    auto target = Elements(input(1));
    if (!target) return {Info{x.dtype, std::nullopt, {}, {}}};
    std::optional<Dims> t = *target;
    return {Info{x.dtype, Broadcast({&xs, &t}), {}, {}}};
  }
  if (op == "Tile") {
    auto repeats = KnownInts(input(1));
    if (!xs || !repeats || repeats->size() != xs->size()) return {Info{x.dtype, std::nullopt, {}, {}}};
    Dims out = *xs;
    for (size_t d = 0; d < out.size(); ++d)
      if ((*repeats)[d] != 1) out[d] = out[d].known() ? Dim::Known(*out[d].value * (*repeats)[d]) : Dim{};
    return {shaped(x.dtype, out)};
  }
  if (op == "Pad") {
    auto pads = opset >= 11 ? KnownInts(input(1)) : std::optional<std::vector<int64_t>>(node.GetInts("pads"));
    if (!xs || !pads || pads->size() != 2 * xs->size() || node.inputs.size() > 3) return {Info{x.dtype, std::nullopt, {}, {}}};
    Dims out = *xs;
    for (int64_t d = 0; d < rank; ++d) {
      const int64_t add = (*pads)[d] + (*pads)[d + rank];
      if (add) out[d] = out[d].known() ? Dim::Known(*out[d].value + add) : Dim{};
    }
    return {shaped(x.dtype, out)};
  }
  if (op == "DepthToSpace" || op == "SpaceToDepth") {
    if (!xs || rank != 4) return {Info{x.dtype, std::nullopt, {}, {}}};
    const int64_t b = node.GetInt("blocksize", 1);
    auto scaled = [](const Dim& d, int64_t mul, int64_t div) { return d.known() ? Dim::Known(*d.value * mul / div) : Dim{}; };
    const bool to_space = op == "DepthToSpace";
    return {shaped(x.dtype, {(*xs)[0], to_space ? scaled((*xs)[1], 1, b * b) : scaled((*xs)[1], b * b, 1),
                             to_space ? scaled((*xs)[2], b, 1) : scaled((*xs)[2], 1, b),
                             to_space ? scaled((*xs)[3], b, 1) : scaled((*xs)[3], 1, b)})};
  }
  if (op == "ConstantOfShape") {
    DataType type = node.Has("value") ? node.attributes.at("value").t.dtype() : DataType::kFloat;
    return {Info{type, Elements(x), {}, {}}};
  }
  if (op == "Range") return {Info{x.dtype, Dims{Dim{}}, {}, {}}};

  if (kReduce.count(op) || op == "ArgMax" || op == "ArgMin") {
    const bool arg = op == "ArgMax" || op == "ArgMin";
    const DataType type = arg ? DataType::kInt64 : x.dtype;
    if (!xs) return {Info{type, std::nullopt, {}, {}}};
    const bool keep = node.GetInt("keepdims", 1) != 0;
    std::optional<std::vector<int64_t>> axes;
    if (arg) axes = std::vector<int64_t>{node.GetInt("axis", 0)};
    else if (opset >= (op == "ReduceSum" ? 13 : 18))
      axes = node.inputs.size() > 1 && !node.inputs[1].empty() ? KnownInts(input(1)) : std::vector<int64_t>{};
    else axes = node.GetInts("axes");
    if (!axes) return {Info{type, std::nullopt, {}, {}}};
    std::set<int64_t> reduced;
    for (int64_t a : *axes) reduced.insert(a < 0 ? a + rank : a);
    const bool all = axes->empty() && !node.GetInt("noop_with_empty_axes", 0);
    Dims out;
    for (int64_t d = 0; d < rank; ++d) {
      if (all || reduced.count(d)) {
        if (keep) out.push_back(Dim::Known(1));
      } else {
        out.push_back((*xs)[d]);
      }
    }
    if (axes->empty() && node.GetInt("noop_with_empty_axes", 0)) out = *xs;
    return {shaped(type, out)};
  }

  if (op == "MatMul" || op == "MatMulInteger" || op == "QLinearMatMul") {
    const Info& b = input(op == "QLinearMatMul" ? 3 : 1);
    const DataType type = op == "MatMul" ? x.dtype : op == "MatMulInteger" ? DataType::kInt32 : input(7).dtype;
    if (!xs || !b.shape || xs->empty() || b.shape->empty()) return {Info{type, std::nullopt, {}, {}}};
    std::optional<Dims> a_batch = Dims(xs->begin(), xs->size() > 2 ? xs->end() - 2 : xs->begin());
    std::optional<Dims> b_batch = Dims(b.shape->begin(), b.shape->size() > 2 ? b.shape->end() - 2 : b.shape->begin());
    Dims out = *Broadcast({&a_batch, &b_batch});
    if (xs->size() > 1) out.push_back((*xs)[xs->size() - 2]);
    if (b.shape->size() > 1) out.push_back(b.shape->back());
    return {shaped(type, out)};
  }
  if (op == "Gemm") {
    const Info& b = input(1);
    if (!xs || !b.shape || xs->size() != 2 || b.shape->size() != 2) return {Info{x.dtype, std::nullopt, {}, {}}};
    const bool ta = node.GetInt("transA", 0), tb = node.GetInt("transB", 0);
    return {shaped(x.dtype, {(*xs)[ta ? 1 : 0], (*b.shape)[tb ? 0 : 1]})};
  }

  if (op == "Conv" || op == "ConvInteger" || op == "QLinearConv" || op == "ConvTranspose" || op == "MaxPool" ||
      op == "AveragePool" || op == "LpPool") {
    const bool conv = op != "MaxPool" && op != "AveragePool" && op != "LpPool";
    const Info& w = input(op == "QLinearConv" ? 3 : 1);
    const DataType type = op == "ConvInteger" ? DataType::kInt32 : op == "QLinearConv" ? input(7).dtype : x.dtype;
    if (!xs || rank < 3 || (conv && !w.shape)) return {Info{type, std::nullopt, {}, {}}, Info{DataType::kInt64, std::nullopt, {}, {}}};
    Dims out{(*xs)[0], conv ? (*w.shape)[0] : (*xs)[1]};
    if (op == "ConvTranspose") out[1] = (*w.shape)[1].known() ? Dim::Known(*(*w.shape)[1].value * node.GetInt("group", 1)) : Dim{};
    Shape spatial, kernel;
    bool known = true;
    for (int64_t d = 2; d < rank; ++d) {
      known = known && (*xs)[d].known() && (!conv || (*w.shape)[d].known());
      spatial.push_back((*xs)[d].value.value_or(0));
      if (conv) kernel.push_back((*w.shape)[d].value.value_or(0));
    }
    if (known && op != "ConvTranspose") {
      auto window = ComputeWindow(node, spatial, kernel);
      if (window.ok())
        for (int64_t v : window->output) out.push_back(Dim::Known(v));
      else known = false;
    } else if (known) {
      const Shape strides = node.GetInts("strides", Shape(spatial.size(), 1));
      const Shape dil = node.GetInts("dilations", Shape(spatial.size(), 1));
      const Shape out_pad = node.GetInts("output_padding", Shape(spatial.size(), 0));
      const Shape pads = node.GetInts("pads", Shape(2 * spatial.size(), 0));
      const Shape requested = node.GetInts("output_shape");
      const std::string auto_pad = node.GetString("auto_pad", "NOTSET");
      const size_t n = spatial.size();
      for (size_t d = 0; d < n; ++d) {
        if (!requested.empty()) out.push_back(Dim::Known(requested[requested.size() - n + d]));
        else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") out.push_back(Dim::Known(spatial[d] * strides[d]));
        else out.push_back(Dim::Known(strides[d] * (spatial[d] - 1) + out_pad[d] + (kernel[d] - 1) * dil[d] + 1 - pads[d] - pads[d + n]));
      }
    }
    if (!known) out.resize(rank, Dim{});
    return {shaped(type, out), shaped(DataType::kInt64, out)};
  }
  if (op == "GlobalAveragePool" || op == "GlobalMaxPool") {
    if (!xs) return {Info{x.dtype, std::nullopt, {}, {}}};
    Dims out = *xs;
    for (int64_t d = 2; d < rank; ++d) out[d] = Dim::Known(1);
    return {shaped(x.dtype, out)};
  }
  if (op == "LayerNormalization") {
    Info stats{DataType::kFloat, std::nullopt, {}, {}};
    if (xs) {
      int64_t axis = node.GetInt("axis", -1);
      if (NormalizeAxis(axis, rank)) {
        Dims s = *xs;
        for (int64_t d = axis; d < rank; ++d) s[d] = Dim::Known(1);
        stats.shape = s;
      }
    }
    return {same(x.dtype), stats, stats};
  }
  if (op == "Resize" || op == "Upsample") {
    if (!xs) return {Info{x.dtype, std::nullopt, {}, {}}};
    const size_t scales_at = op == "Upsample" || opset < 11 ? 1 : 2;
    std::optional<std::vector<double>> scales;
    if (op == "Upsample" && opset < 9) {
      scales.emplace();
      for (float s : node.GetFloats("scales")) scales->push_back(s);
    } else if (scales_at < in.size() && in[scales_at].constant && in[scales_at].constant->size() > 0) {
      scales.emplace();
      for (int64_t i = 0; i < in[scales_at].constant->size(); ++i) scales->push_back(in[scales_at].constant->GetAsDouble(i));
    }
    if (scales && static_cast<int64_t>(scales->size()) == rank) {
      Dims out = *xs;
      for (int64_t d = 0; d < rank; ++d)
        if ((*scales)[d] != 1.0) out[d] = out[d].known() ? Dim::Known(static_cast<int64_t>(*out[d].value * (*scales)[d])) : Dim{};
      return {shaped(x.dtype, out)};
    }
    if (auto sizes = Elements(input(3))) return {shaped(x.dtype, *sizes)};
    return {Info{x.dtype, Dims(rank), {}, {}}};
  }
  if (op == "QuantizeLinear")
    return {same(node.inputs.size() > 2 && !node.inputs[2].empty() ? input(2).dtype : DataType::kUint8)};
  if (op == "DequantizeLinear") return {same(input(1).dtype == DataType::kUndefined ? DataType::kFloat : input(1).dtype)};
  if (op == "DynamicQuantizeLinear")
    return {same(DataType::kUint8), shaped(DataType::kFloat, {}), shaped(DataType::kUint8, {})};

  if (op == "LSTM" || op == "GRU" || op == "RNN") {
    const std::string direction = node.GetString("direction", "forward");
    const Dim dirs = Dim::Known(direction == "bidirectional" ? 2 : 1);
    Dim hidden = node.Has("hidden_size") ? Dim::Known(node.GetInt("hidden_size", 0))
                 : input(2).shape && input(2).shape->size() == 3 ? (*input(2).shape)[2] : Dim{};
    if (!xs || rank != 3) return {Info{x.dtype, std::nullopt, {}, {}}};
    Info state = shaped(x.dtype, {dirs, (*xs)[1], hidden});
    return {shaped(x.dtype, {(*xs)[0], dirs, (*xs)[1], hidden}), state, state};
  }

  if (op == "If") {
    std::vector<Info> outs(node.outputs.size());
    for (const char* branch : {"then_branch", "else_branch"}) {
      auto it = node.attributes.find(branch);
      if (it == node.attributes.end() || !it->second.g) continue;
      Graph& g = *it->second.g;
      InferGraph(g, scope);
      for (size_t i = 0; i < outs.size() && i < g.outputs.size(); ++i) {
        Info branch_out = FromType(g.TypeOf(g.outputs[i]));
        if (std::string(branch) == "then_branch") outs[i] = branch_out;
        else if (outs[i].shape && branch_out.shape && outs[i].shape->size() == branch_out.shape->size()) {
          for (size_t d = 0; d < outs[i].shape->size(); ++d)
            if (!SameDim((*outs[i].shape)[d], (*branch_out.shape)[d])) (*outs[i].shape)[d] = Dim{};
        } else {
          outs[i].shape = std::nullopt;
        }
      }
    }
    return outs;
  }
  if (op == "Loop") {
    std::vector<Info> outs(node.outputs.size());
    const size_t carried = in.size() > 2 ? in.size() - 2 : 0;
    for (size_t i = 0; i < carried && i < outs.size(); ++i) outs[i] = Info{in[2 + i].dtype, in[2 + i].shape, {}, {}};
    auto it = node.attributes.find("body");
    if (it != node.attributes.end() && it->second.g) {
      Graph& body = *it->second.g;
      // Body inputs: iteration number, condition, then the carried values (types may be omitted).
      std::vector<ValueType> seeds{{DataType::kInt64, Dims{}, true}, {DataType::kBool, Dims{}, true}};
      for (size_t i = 0; i < carried; ++i) seeds.push_back({in[2 + i].dtype, in[2 + i].shape, true});
      for (size_t i = 0; i < body.inputs.size() && i < seeds.size(); ++i) {
        ValueType& declared = body.value_types[body.inputs[i]];
        if (declared.dtype == DataType::kUndefined) declared = seeds[i];
      }
      InferGraph(body, scope);
      for (size_t i = carried; i < outs.size() && 1 + i < body.outputs.size(); ++i) {
        Info scan = FromType(body.TypeOf(body.outputs[1 + i]));
        if (scan.shape) scan.shape->insert(scan.shape->begin(), Dim{});
        outs[i] = scan;
      }
    }
    return outs;
  }
  return {};
}

}  // namespace

void InferShapes(Model& model) {
  Inferencer(model).InferGraph(model.graph, {});
}

}  // namespace qplay
