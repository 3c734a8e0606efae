#include "ops/value_info.h"

#include <algorithm>
#include <cstdint>

namespace qplay {

const ValueInfo& InferContext::in(size_t i) const {
  static const ValueInfo kNone;
  return i < inputs_.size() ? inputs_[i] : kNone;
}

bool SameDim(const Dim& a, const Dim& b) {
  if (a.known() || b.known()) return a.known() && b.known() && *a.value == *b.value;
  return !a.symbol.empty() && a.symbol == b.symbol;
}

Dims KnownDims(const Shape& shape) {
  Dims d;
  for (int64_t v : shape) d.push_back(Dim::Known(v));
  return d;
}

Dim Product(const Dims& dims, size_t begin, size_t end) {
  int64_t known = 1;
  const Dim* symbolic = nullptr;
  int symbols = 0;
  for (size_t i = begin; i < end; ++i) {
    if (!dims[i].known()) symbolic = &dims[i], ++symbols;
    else if (__builtin_mul_overflow(known, *dims[i].value, &known)) return Dim{};
  }
  if (symbols == 0) return Dim::Known(known);
  if (symbols == 1 && known == 1) return *symbolic;
  return Dim{};
}

Dim DimArithmetic(DimOp op, const Dim& a, const Dim& b) {
  if (a.known() && b.known()) {
    const int64_t p = *a.value, q = *b.value;
    // Shape elements come from the file: an overflowing result is unknown, not wrapped or a trap.
    int64_t r = 0;
    bool overflow = false;
    if (op == DimOp::kMul) overflow = __builtin_mul_overflow(p, q, &r);
    else if (op == DimOp::kAdd) overflow = __builtin_add_overflow(p, q, &r);
    else if (op == DimOp::kSub) overflow = __builtin_sub_overflow(p, q, &r);
    else if (q == -1 && p == INT64_MIN) overflow = true;
    else r = q ? p / q : 0;
    return overflow ? Dim{} : Dim::Known(r);
  }
  const bool identity = b.known() && ((op == DimOp::kMul || op == DimOp::kDiv) ? *b.value == 1 : *b.value == 0);
  if (identity) return a;
  if (op == DimOp::kMul && a.known() && *a.value == 1) return b;
  if ((!a.known() && a.symbol.empty()) || (!b.known() && b.symbol.empty())) return Dim{};
  return Dim::Symbolic(a.ToString() + static_cast<char>(op) + b.ToString());
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

std::optional<Dims> Elements(const ValueInfo& info) {
  if (info.elements) return info.elements;
  if (info.constant && info.constant->size() <= 64 && info.constant->dtype() != DataType::kFloat &&
      info.constant->dtype() != DataType::kDouble)
    return KnownDims(info.constant->ToInt64Vector());
  return std::nullopt;
}

std::optional<std::vector<int64_t>> KnownInts(const ValueInfo& info) {
  auto e = Elements(info);
  if (!e) return std::nullopt;
  std::vector<int64_t> out;
  for (const Dim& d : *e) {
    if (!d.known()) return std::nullopt;
    out.push_back(*d.value);
  }
  return out;
}

std::optional<std::vector<int64_t>> ListInputOrAttr(const InferContext& ctx, size_t input, const std::string& attr,
                                                    int64_t input_since) {
  if (ctx.opset < input_since) return ctx.node.GetInts(attr);
  return ctx.has(input) ? KnownInts(ctx.in(input)) : std::vector<int64_t>{};
}

std::vector<ValueInfo> SameAsInput(InferContext& ctx) { return {ValueInfo::Typed(ctx.in(0).dtype, ctx.in(0).shape)}; }

std::vector<ValueInfo> BroadcastInputs(InferContext& ctx) {
  std::vector<const std::optional<Dims>*> shapes;
  for (const ValueInfo& i : ctx.inputs()) shapes.push_back(&i.shape);
  return {ValueInfo::Typed(ctx.in(0).dtype, Broadcast(shapes))};
}

}  // namespace qplay
