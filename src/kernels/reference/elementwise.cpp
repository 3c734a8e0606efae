// Element-wise arithmetic, comparison and logic with numpy broadcasting, and unary math.
#include <algorithm>
#include <cmath>
#include <optional>
#include <type_traits>

#include "kernels/broadcast.h"
#include "kernels/registry.h"

namespace qplay {
namespace {

template <typename T>
constexpr bool kIsFloat = std::is_floating_point_v<T>;

// out[i] = op(a[i], b[i]) with broadcasting; Out is the output element type.
template <typename In, typename Out, typename Op>
Status Broadcast2(KernelContext& ctx, const Tensor& a, const Tensor& b, DataType out_type, Op op) {
  auto shape = BroadcastShapes({a.shape(), b.shape()});
  if (!shape.ok()) return shape.status();
  Tensor& out = ctx.Output(0, out_type, *shape);
  const In* pa = a.data<In>();
  const In* pb = b.data<In>();
  Out* po = out.data<Out>();
  if (a.shape() == b.shape()) {
    for (int64_t i = 0; i < out.size(); ++i) po[i] = op(pa[i], pb[i]);
  } else if (a.shape() == *shape && b.size() == 1) {
    const In scalar = pb[0];
    for (int64_t i = 0; i < out.size(); ++i) po[i] = op(pa[i], scalar);
  } else if (b.shape() == *shape && a.size() == 1) {
    const In scalar = pa[0];
    for (int64_t i = 0; i < out.size(); ++i) po[i] = op(scalar, pb[i]);
  } else if (a.shape() == *shape && IsTrailingBlock(b.shape(), *shape)) {  // x + bias, x * scalar
    const int64_t block = b.size();
    for (int64_t start = 0; start < out.size(); start += block)
      for (int64_t j = 0; j < block; ++j) po[start + j] = op(pa[start + j], pb[j]);
  } else if (b.shape() == *shape && IsTrailingBlock(a.shape(), *shape)) {
    const int64_t block = a.size();
    for (int64_t start = 0; start < out.size(); start += block)
      for (int64_t j = 0; j < block; ++j) po[start + j] = op(pa[j], pb[start + j]);
  } else {
    ForEachBroadcast(*shape, {a.shape(), b.shape()}, [&](int64_t i, const int64_t* o) { po[i] = op(pa[o[0]], pb[o[1]]); });
  }
  return Status::Ok();
}

Status CheckSameType(const KernelContext& ctx) {
  for (size_t i = 1; i < ctx.num_inputs(); ++i)
    if (ctx.has(i) && ctx.in(i).dtype() != ctx.in(0).dtype())
      return ctx.Invalid("input ", i, " is ", DataTypeName(ctx.in(i).dtype()), " but input 0 is ",
                         DataTypeName(ctx.in(0).dtype()));
  return Status::Ok();
}

// A kernel's result when its type visit set one, else the element type is unsupported (the
// message is built only then: kernels run on every inference).
Status Supported(const KernelContext& ctx, const std::optional<Status>& status, DataType type) {
  return status ? *status : ctx.Unsupported("element type ", DataTypeName(type));
}

enum class Arith { kAdd, kSub, kMul, kDiv, kMod, kFmod };

template <Arith kOp>
Status ArithmeticKernel(KernelContext& ctx) {
  QPLAY_RETURN_IF_ERROR(CheckSameType(ctx));
  const Tensor& a = ctx.in(0);
  const bool fmod = ctx.node.GetInt("fmod", 0) != 0;
  std::optional<Status> status;  // set for the element types the op supports
  VisitNumeric(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    status = Broadcast2<T, T>(ctx, a, ctx.in(1), a.dtype(), [&](T x, T y) -> T {
      if constexpr (kOp == Arith::kAdd) return WrappingAdd(x, y);
      if constexpr (kOp == Arith::kSub) return WrappingSub(x, y);
      if constexpr (kOp == Arith::kMul) return WrappingMul(x, y);
      if constexpr (kOp == Arith::kDiv) {
        // The lowest signed value over -1 traps in hardware; it wraps to itself, as in two's complement.
        if constexpr (std::is_signed_v<T> && !kIsFloat<T>)
          if (y == T(-1)) return static_cast<T>(0 - static_cast<std::make_unsigned_t<T>>(x));
        if constexpr (!kIsFloat<T>) return y == 0 ? T(0) : static_cast<T>(x / y);
        else return x / y;
      }
      if constexpr (kOp == Arith::kMod) {
        if constexpr (kIsFloat<T>) {
          T r = std::fmod(x, y);
          if (!fmod && r != 0 && ((r < 0) != (y < 0))) r += y;
          return r;
        } else {
          if constexpr (std::is_signed_v<T>)
            if (y == T(-1)) return T(0);  // x % -1 is 0; the lowest value's would trap
          if (y == 0) return T(0);
          T r = static_cast<T>(x % y);
          if (!fmod && r != 0 && ((r < 0) != (y < 0))) r = static_cast<T>(r + y);
          return r;
        }
      }
      return T(0);
    });
  });
  return Supported(ctx, status, a.dtype());
}

Status Pow(KernelContext& ctx) {
  const Tensor& a = ctx.in(0);
  Tensor exponent = ctx.in(1);
  if (exponent.dtype() != a.dtype()) {  // Pow allows a different exponent type
    Tensor converted(a.dtype(), exponent.shape());
    VisitNumeric(a.dtype(), [&](auto tag) {
      using T = decltype(tag);
      for (int64_t i = 0; i < exponent.size(); ++i) {
        if constexpr (kIsFloat<T>) converted.data<T>()[i] = static_cast<T>(exponent.GetAsDouble(i));
        else converted.data<T>()[i] = SaturatingCast<T>(exponent.GetAsDouble(i));
      }
    });
    exponent = converted;
  }
  std::optional<Status> status;
  VisitNumeric(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    status = Broadcast2<T, T>(ctx, a, exponent, a.dtype(), [](T x, T y) {
      if constexpr (kIsFloat<T>) return static_cast<T>(std::pow(x, y));
      else return SaturatingCast<T>(std::pow(static_cast<double>(x), static_cast<double>(y)));
    });
  });
  return Supported(ctx, status, a.dtype());
}

enum class Compare { kEqual, kLess, kGreater, kLessOrEqual, kGreaterOrEqual };

template <Compare kOp>
Status CompareKernel(KernelContext& ctx) {
  QPLAY_RETURN_IF_ERROR(CheckSameType(ctx));
  std::optional<Status> status;
  VisitAny(ctx.in(0).dtype(), [&](auto tag) {
    using T = decltype(tag);
    status = Broadcast2<T, bool>(ctx, ctx.in(0), ctx.in(1), DataType::kBool, [](T x, T y) {
      if constexpr (kOp == Compare::kEqual) return x == y;
      if constexpr (kOp == Compare::kLess) return x < y;
      if constexpr (kOp == Compare::kGreater) return x > y;
      if constexpr (kOp == Compare::kLessOrEqual) return x <= y;
      return x >= y;
    });
  });
  return Supported(ctx, status, ctx.in(0).dtype());
}

enum class Logic { kAnd, kOr, kXor };

template <Logic kOp>
Status LogicKernel(KernelContext& ctx) {
  if (ctx.in(0).dtype() != DataType::kBool || ctx.in(1).dtype() != DataType::kBool)
    return ctx.Invalid("expects bool inputs");
  return Broadcast2<bool, bool>(ctx, ctx.in(0), ctx.in(1), DataType::kBool, [](bool x, bool y) {
    if constexpr (kOp == Logic::kAnd) return x && y;
    if constexpr (kOp == Logic::kOr) return x || y;
    return x != y;
  });
}

Status BitShift(KernelContext& ctx) {
  const bool left = ctx.node.GetString("direction", "") == "LEFT";
  std::optional<Status> status;  // unsigned types only
  VisitNumeric(ctx.in(0).dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_unsigned_v<T>)
      status = Broadcast2<T, T>(ctx, ctx.in(0), ctx.in(1), ctx.in(0).dtype(),
                                [left](T x, T y) {
                                  // Shifting out every bit gives 0 (C++ leaves a shift past the width undefined).
                                  if (y >= 8 * sizeof(T)) return T(0);
                                  return static_cast<T>(left ? x << y : x >> y);
                                });
  });
  return Supported(ctx, status, ctx.in(0).dtype());
}

enum class Variadic { kSum, kMean, kMin, kMax };

// Sum/Mean/Min/Max over any number of broadcast inputs, folded pairwise.
template <Variadic kOp>
Status VariadicKernel(KernelContext& ctx) {
  QPLAY_RETURN_IF_ERROR(CheckSameType(ctx));
  Tensor acc = ctx.in(0);
  Status status;
  bool visited = VisitNumeric(acc.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (size_t k = 1; k < ctx.num_inputs() && status.ok(); ++k) {
      status = Broadcast2<T, T>(ctx, acc, ctx.in(k), acc.dtype(), [](T x, T y) -> T {
        if constexpr (kOp == Variadic::kMin) {
          if constexpr (kIsFloat<T>) if (std::isnan(x) || std::isnan(y)) return NAN;
          return std::min(x, y);
        }
        if constexpr (kOp == Variadic::kMax) {
          if constexpr (kIsFloat<T>) if (std::isnan(x) || std::isnan(y)) return NAN;
          return std::max(x, y);
        }
        return WrappingAdd(x, y);
      });
      acc = ctx.outputs()[0];
    }
    if constexpr (kOp == Variadic::kMean) {
      acc = acc.Clone();
      for (int64_t i = 0; i < acc.size(); ++i) acc.data<T>()[i] = static_cast<T>(acc.data<T>()[i] / static_cast<T>(ctx.num_inputs()));
    }
    if (status.ok()) ctx.SetOutput(0, acc);
  });
  return visited ? status : ctx.Unsupported("element type ", DataTypeName(acc.dtype()));
}

Status Where(KernelContext& ctx) {
  const Tensor &cond = ctx.in(0), &x = ctx.in(1), &y = ctx.in(2);
  if (x.dtype() != y.dtype()) return ctx.Invalid("X is ", DataTypeName(x.dtype()), " but Y is ", DataTypeName(y.dtype()));
  auto shape = BroadcastShapes({cond.shape(), x.shape(), y.shape()});
  if (!shape.ok()) return shape.status();
  Tensor& out = ctx.Output(0, x.dtype(), *shape);
  const size_t bytes = ElementSize(x.dtype());
  const bool* c = cond.data<bool>();
  ForEachBroadcast(*shape, {cond.shape(), x.shape(), y.shape()}, [&](int64_t i, const int64_t* o) {
    const uint8_t* src = c[o[0]] ? x.raw() + o[1] * bytes : y.raw() + o[2] * bytes;
    std::copy(src, src + bytes, out.raw() + i * bytes);
  });
  return Status::Ok();
}

// Unary ops over float types only (Exp, Log, ...) or every signed numeric type (Abs, Neg, Sign).
template <typename Fn>
Status UnaryFloat(KernelContext& ctx, Fn fn) {
  const Tensor& x = ctx.in(0);
  if (x.dtype() != DataType::kFloat && x.dtype() != DataType::kDouble)
    return ctx.Unsupported("element type ", DataTypeName(x.dtype()), " (float32/float64 only)");
  Tensor& out = ctx.Output(0, x.dtype(), x.shape());
  if (x.dtype() == DataType::kFloat) {
    for (int64_t i = 0; i < x.size(); ++i) out.data<float>()[i] = static_cast<float>(fn(x.data<float>()[i]));
  } else {
    for (int64_t i = 0; i < x.size(); ++i) out.data<double>()[i] = fn(x.data<double>()[i]);
  }
  return Status::Ok();
}

#define QPLAY_UNARY_FLOAT(Name, expr)                                              \
  Status Name(KernelContext& ctx) {                                                \
    return UnaryFloat(ctx, [&](auto x) { using T = decltype(x); (void)sizeof(T); return expr; }); \
  }

QPLAY_UNARY_FLOAT(Sqrt, std::sqrt(x))
QPLAY_UNARY_FLOAT(Exp, std::exp(x))
QPLAY_UNARY_FLOAT(Log, std::log(x))
QPLAY_UNARY_FLOAT(Erf, std::erf(x))
QPLAY_UNARY_FLOAT(Reciprocal, T(1) / x)
QPLAY_UNARY_FLOAT(Floor, std::floor(x))
QPLAY_UNARY_FLOAT(Ceil, std::ceil(x))
QPLAY_UNARY_FLOAT(Round, std::nearbyint(x))
QPLAY_UNARY_FLOAT(Sin, std::sin(x))
QPLAY_UNARY_FLOAT(Cos, std::cos(x))
QPLAY_UNARY_FLOAT(Tan, std::tan(x))
QPLAY_UNARY_FLOAT(Asin, std::asin(x))
QPLAY_UNARY_FLOAT(Acos, std::acos(x))
QPLAY_UNARY_FLOAT(Atan, std::atan(x))
QPLAY_UNARY_FLOAT(Sinh, std::sinh(x))
QPLAY_UNARY_FLOAT(Cosh, std::cosh(x))
QPLAY_UNARY_FLOAT(Asinh, std::asinh(x))
QPLAY_UNARY_FLOAT(Acosh, std::acosh(x))
QPLAY_UNARY_FLOAT(Atanh, std::atanh(x))
#undef QPLAY_UNARY_FLOAT

template <typename Fn>
Status UnarySigned(KernelContext& ctx, Fn fn) {
  const Tensor& x = ctx.in(0);
  Tensor& out = ctx.Output(0, x.dtype(), x.shape());
  bool visited = VisitNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < x.size(); ++i) out.data<T>()[i] = fn(x.data<T>()[i]);
  });
  return visited ? Status::Ok() : ctx.Unsupported("element type ", DataTypeName(x.dtype()));
}

Status Abs(KernelContext& ctx) {
  return UnarySigned(ctx, [](auto x) -> decltype(x) {
    if constexpr (std::is_unsigned_v<decltype(x)>) return x; else return x < 0 ? WrappingNeg(x) : x;
  });
}
Status Neg(KernelContext& ctx) {
  return UnarySigned(ctx, [](auto x) { return WrappingNeg(x); });
}
Status Sign(KernelContext& ctx) {
  return UnarySigned(ctx, [](auto x) { return static_cast<decltype(x)>((x > 0) - (x < 0)); });
}

Status Not(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  if (x.dtype() != DataType::kBool) return ctx.Invalid("expects bool input, got ", DataTypeName(x.dtype()));
  Tensor& out = ctx.Output(0, DataType::kBool, x.shape());
  for (int64_t i = 0; i < x.size(); ++i) out.data<bool>()[i] = !x.data<bool>()[i];
  return Status::Ok();
}

template <bool kNan>
Status IsNanOrInf(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  if (x.dtype() != DataType::kFloat && x.dtype() != DataType::kDouble)
    return ctx.Unsupported("element type ", DataTypeName(x.dtype()));
  const bool pos = ctx.node.GetInt("detect_positive", 1), neg = ctx.node.GetInt("detect_negative", 1);
  Tensor& out = ctx.Output(0, DataType::kBool, x.shape());
  for (int64_t i = 0; i < x.size(); ++i) {
    double v = x.GetAsDouble(i);
    out.data<bool>()[i] = kNan ? std::isnan(v) : (std::isinf(v) && ((v > 0 && pos) || (v < 0 && neg)));
  }
  return Status::Ok();
}

}  // namespace

void RegisterElementwiseKernels(KernelRegistry& r) {
  r.Add("Add", ArithmeticKernel<Arith::kAdd>);
  r.Add("Sub", ArithmeticKernel<Arith::kSub>);
  r.Add("Mul", ArithmeticKernel<Arith::kMul>);
  r.Add("Div", ArithmeticKernel<Arith::kDiv>);
  r.Add("Mod", ArithmeticKernel<Arith::kMod>);
  r.Add("Pow", Pow);
  r.Add("Equal", CompareKernel<Compare::kEqual>);
  r.Add("Less", CompareKernel<Compare::kLess>);
  r.Add("Greater", CompareKernel<Compare::kGreater>);
  r.Add("LessOrEqual", CompareKernel<Compare::kLessOrEqual>);
  r.Add("GreaterOrEqual", CompareKernel<Compare::kGreaterOrEqual>);
  r.Add("And", LogicKernel<Logic::kAnd>);
  r.Add("Or", LogicKernel<Logic::kOr>);
  r.Add("Xor", LogicKernel<Logic::kXor>);
  r.Add("BitShift", BitShift);
  r.Add("Sum", VariadicKernel<Variadic::kSum>);
  r.Add("Mean", VariadicKernel<Variadic::kMean>);
  r.Add("Min", VariadicKernel<Variadic::kMin>);
  r.Add("Max", VariadicKernel<Variadic::kMax>);
  r.Add("Where", Where);
  r.Add("Sqrt", Sqrt);
  r.Add("Exp", Exp);
  r.Add("Log", Log);
  r.Add("Erf", Erf);
  r.Add("Reciprocal", Reciprocal);
  r.Add("Floor", Floor);
  r.Add("Ceil", Ceil);
  r.Add("Round", Round);
  r.Add("Sin", Sin);
  r.Add("Cos", Cos);
  r.Add("Tan", Tan);
  r.Add("Asin", Asin);
  r.Add("Acos", Acos);
  r.Add("Atan", Atan);
  r.Add("Sinh", Sinh);
  r.Add("Cosh", Cosh);
  r.Add("Asinh", Asinh);
  r.Add("Acosh", Acosh);
  r.Add("Atanh", Atanh);
  r.Add("Abs", Abs);
  r.Add("Neg", Neg);
  r.Add("Sign", Sign);
  r.Add("Not", Not);
  r.Add("IsNaN", IsNanOrInf<true>);
  r.Add("IsInf", IsNanOrInf<false>);
}

}  // namespace qplay
