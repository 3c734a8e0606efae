// Fast float Add, Sub, Mul and Div with numpy broadcasting where one operand is the whole
// output and the other repeats along it (equal shapes, a trailing block such as a bias or a
// positional embedding, a per-channel scale such as a squeeze-excite gate, a scalar): a vector
// loop over each repetition. Each element is the
// same IEEE operation as in the reference kernel, so the results are its bit for bit; other
// broadcasts and types go to the reference kernel.
#include <algorithm>

#include "core/thread_pool.h"
#include "kernels/broadcast.h"
#include "kernels/registry.h"
#include "kernels/simd/simd.h"

namespace qplay {
namespace {

enum class Op { kAdd, kSub, kMul, kDiv };

template <Op kOp>
v128_t Apply(v128_t a, v128_t b) {
  if constexpr (kOp == Op::kAdd) return wasm_f32x4_add(a, b);
  if constexpr (kOp == Op::kSub) return wasm_f32x4_sub(a, b);
  if constexpr (kOp == Op::kMul) return wasm_f32x4_mul(a, b);
  return wasm_f32x4_div(a, b);
}

template <Op kOp>
float Apply(float a, float b) {
  if constexpr (kOp == Op::kAdd) return a + b;
  if constexpr (kOp == Op::kSub) return a - b;
  if constexpr (kOp == Op::kMul) return a * b;
  return a / b;
}

// y[i] = full[i] op repeated[(first_run + i / run) % period], or repeated[...] op full[i] when
// the repeated operand is the left one: each repeated element covers `run` consecutive outputs.
template <Op kOp, bool kRepeatedFirst>
void Run(const float* full, const float* repeated, int64_t period, int64_t run, int64_t count, float* y, int64_t first_run = 0) {
  auto apply = [](auto f, auto r) { return kRepeatedFirst ? Apply<kOp>(r, f) : Apply<kOp>(f, r); };
  if (run == 1 && period > 1) {  // a trailing block: a vector of each operand
    for (int64_t start = 0; start < count; start += period) {
      int64_t j = 0;
      for (; j + 4 <= period; j += 4)
        wasm_v128_store(y + start + j, apply(wasm_v128_load(full + start + j), wasm_v128_load(repeated + j)));
      for (; j < period; ++j) y[start + j] = apply(full[start + j], repeated[j]);
    }
    return;
  }
  for (int64_t start = 0, r = first_run % period; start < count; start += run, r = (r + 1) % period) {  // one value per run
    const v128_t splat = wasm_f32x4_splat(repeated[r]);
    int64_t j = start;
    const int64_t end = std::min(count, start + run);
    for (; j + 4 <= end; j += 4) wasm_v128_store(y + j, apply(wasm_v128_load(full + j), splat));
    for (; j < end; ++j) y[j] = apply(full[j], repeated[r]);
  }
}

// Run over the threads: whole runs of one repeated value each, or whole periods of a trailing
// block, or (one period covering the output: equal shapes) any pieces.
template <Op kOp, bool kRepeatedFirst>
void RunSplit(const float* full, const float* repeated, int64_t period, int64_t run, int64_t count, float* y) {
  if (run > 1) {
    ParallelFor(count / run, GrainForWork(run), [&](int64_t first, int64_t last) {
      Run<kOp, kRepeatedFirst>(full + first * run, repeated, period, run, (last - first) * run, y + first * run, first);
    });
  } else if (period < count) {
    ParallelFor(count / period, GrainForWork(period), [&](int64_t first, int64_t last) {
      Run<kOp, kRepeatedFirst>(full + first * period, repeated, period, 1, (last - first) * period, y + first * period);
    });
  } else {
    ParallelFor(count, GrainForWork(1), [&](int64_t begin, int64_t end) {
      Run<kOp, kRepeatedFirst>(full + begin, repeated + begin, end - begin, 1, end - begin, y + begin);
    });
  }
}

template <Op kOp>
Status Binary(KernelContext& ctx) {
  const Tensor &a = ctx.in(0), &b = ctx.in(1);
  if (a.dtype() != DataType::kFloat || b.dtype() != DataType::kFloat) return RunReferenceKernel(ctx);
  auto shape = BroadcastShapes({a.shape(), b.shape()});
  if (!shape.ok()) return RunReferenceKernel(ctx);  // it names the shapes
  const std::optional<int64_t> b_run = a.shape() == *shape ? BlockRunLength(b.shape(), *shape) : std::nullopt;
  const std::optional<int64_t> a_run = !b_run && b.shape() == *shape ? BlockRunLength(a.shape(), *shape) : std::nullopt;
  if (!a_run && !b_run) return RunReferenceKernel(ctx);
  Tensor& y = ctx.OutputToOverwrite(0, DataType::kFloat, *shape);
  if (y.size() == 0) return Status::Ok();
  if (b_run) RunSplit<kOp, false>(a.data<float>(), b.data<float>(), b.size(), *b_run, y.size(), y.data<float>());
  else RunSplit<kOp, true>(b.data<float>(), a.data<float>(), a.size(), *a_run, y.size(), y.data<float>());
  return Status::Ok();
}

}  // namespace

void RegisterFastFloatBinaryKernels(KernelRegistry& r) {
  r.Add("Add", Binary<Op::kAdd>, "", KernelVariant::kFast);
  r.Add("Sub", Binary<Op::kSub>, "", KernelVariant::kFast);
  r.Add("Mul", Binary<Op::kMul>, "", KernelVariant::kFast);
  r.Add("Div", Binary<Op::kDiv>, "", KernelVariant::kFast);
}

}  // namespace qplay
