// Which reading of relaxed SIMD's 8-bit dot product the 8-bit GEMMs run on (relaxed_dot.h),
// without the SIMD headers: for code built without SIMD flags, such as the module's bindings.
#pragma once
#include <optional>

namespace qplay {

enum class RelaxedDotMode {
  kNone,      // not built with relaxed SIMD, or not exact on full bytes
  kUnsigned,  // the second operand's bytes are 0..255
  kSigned,    // the second operand's bytes are -128..127
};

// This build's and engine's reading of the instruction, probed once.
RelaxedDotMode RelaxedDot();

// Makes RelaxedDot() return `mode` until called again with nullopt: the native tests run
// whole models through the relaxed GEMMs on the signed reading RelaxedDotAdd emulates natively
// (relaxed_dot.h). Sessions keep weights packed for the GEMM they first ran, so a session must
// not outlive a change.
void OverrideRelaxedDotForTesting(std::optional<RelaxedDotMode> mode);

// "unsigned", "signed" or "none": for the module's build information and the benchmarks.
const char* RelaxedDotModeName(RelaxedDotMode mode);

}  // namespace qplay
