#include "kernels/simd/throughput.h"

#include <chrono>
#include <vector>

#include "kernels/simd/i8_gemm.h"
#include "kernels/simd/i8_gemm_relaxed.h"
#include "kernels/simd/simd.h"

namespace qplay {
namespace {

using Clock = std::chrono::steady_clock;

// Calls `step` (which performs `ops` operations) until `seconds` have passed; returns GOPS.
// As long again beforehand is warm-up, so the engine has tiered up to optimized code.
template <typename Step>
double Rate(double seconds, double ops, Step step) {
  for (const auto warm = Clock::now(); std::chrono::duration<double>(Clock::now() - warm).count() < seconds;) step();
  int64_t calls = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    step();
    ++calls;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  return ops * static_cast<double>(calls) / elapsed / 1e9;
}

// Eight independent dot + add chains, 1024 steps each. Every chain multiplies its own pair
// of operand and weight (two operands per step times four weights), so no dot is a common
// subexpression the compiler could share between chains; with the accumulators that is 14
// of x86-64's 16 SIMD registers (no spills). The operands are fresh each step, broadcast
// from `operands` as the GEMM broadcasts A (which also spares V8 the register copies a
// two-operand SSE dot needs when both of its inputs stay live).
int32_t PeakLoop(const int32_t* operands) {
  constexpr int kChains = 8;
  v128_t acc[kChains], weights[4];
  for (int i = 0; i < kChains; ++i) acc[i] = wasm_i32x4_splat(i);
  for (int i = 0; i < 4; ++i) weights[i] = wasm_i16x8_splat(static_cast<int16_t>(i + 1));
  for (int step = 0; step < 1024; ++step) {
    const v128_t xa = wasm_v128_load32_splat(operands + 2 * step), xb = wasm_v128_load32_splat(operands + 2 * step + 1);
    for (int i = 0; i < kChains; ++i) acc[i] = wasm_i32x4_add(acc[i], wasm_i32x4_dot_i16x8(i < 4 ? xa : xb, weights[i % 4]));
  }
  v128_t sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = wasm_i32x4_add(sum, acc[i]);
  return wasm_i32x4_extract_lane(sum, 0);
}

}  // namespace

Int8GemmThroughput MeasureInt8GemmThroughput(int64_t m, int64_t n, int64_t k, double seconds_each) {
  std::vector<int16_t> a(static_cast<size_t>(m * EvenK(k)), 3);
  const I8PackedB b = PackI8B(k, n, [](int64_t kk, int64_t j) { return static_cast<int32_t>((kk + j) % 7) - 3; });
  std::vector<uint8_t> c(static_cast<size_t>(m * n));
  std::vector<float> scale(static_cast<size_t>(n), 0.01f);
  I8GemmOutput out;
  out.data = c.data();
  out.ldc = n;
  out.scale = scale.data();
  Int8GemmThroughput t;
  t.gemm_gops = Rate(seconds_each, 2.0 * static_cast<double>(m * n * k),
                     [&] { i8_gemm_4x8__wasmsimd_dot16(m, a.data(), EvenK(k), b, out); });
  if (RelaxedDot() != RelaxedDotMode::kNone) {  // the same product on relaxed SIMD's 8-bit dot product
    std::vector<uint8_t> bytes(static_cast<size_t>(m * k), 131);
    const int32_t zero_point = 128;
    I8x4Rows rows;
    ToI8x4Rows(bytes.data(), m, k, &zero_point, 0, rows);
    const I8x4PackedB packed = PackI8x4B<int8_t>(
        k, n, RelaxedDot(), [](int64_t kk, int64_t j) { return static_cast<int8_t>((kk + j) % 7 - 3); }, [](int64_t) { return 0; });
    t.relaxed_gops = Rate(seconds_each, 2.0 * static_cast<double>(m * n * k),
                          [&] { i8_gemm_4x8__wasmrelaxed(m, ViewFrom(rows, 0), packed, out); });
  }
  std::vector<int32_t> operands(2 * 1024);
  for (size_t i = 0; i < operands.size(); ++i) operands[i] = static_cast<int32_t>(i % 13);
  volatile int32_t sink = 0;
  t.peak_gops = Rate(seconds_each, 8.0 * 1024 * 16, [&] { sink = sink + PeakLoop(operands.data()); });
  return t;
}

}  // namespace qplay
