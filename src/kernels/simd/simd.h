// The one place that picks the SIMD intrinsics: wasm_simd128 in the browser build, and
// natively SIMDe's implementation of the same wasm_* intrinsics, so the native tests run
// exactly the source the browser runs.
#pragma once
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#else
#define SIMDE_WASM_SIMD128_ENABLE_NATIVE_ALIASES
#include <simde/wasm/simd128.h>
#endif
