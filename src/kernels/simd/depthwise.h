// Depthwise 2-D convolution of one channel plane, SIMD across output columns (4 float or 8
// 8-bit outputs at a time; strides 1 and 2 load lanes directly, others gather).
//
// The input is a padded plane: the channel surrounded by its padding, row stride
// `padded_width`, with at least DepthwiseSlack(g) readable elements after the last row.
// Float taps are summed in kernel order after the bias, as the reference kernel does, so
// results match it. 8-bit planes (int16 values already offset by their zero points) are
// summed exactly in int32, adjacent taps paired through i32x4.dot_i16x8_s where the row is
// undilated at stride 1 or 2, then requantized: bit for bit the reference's. The _ref twins
// are the plain loops.
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "kernels/conv_geometry.h"

namespace qplay {

int64_t DepthwiseSlack(const WindowGeometry& g);

void f32_dwconv__ref(const float* padded, int64_t padded_width, const WindowGeometry& g, const float* w, float bias, float* out);
void f32_dwconv_4__wasmsimd(const float* padded, int64_t padded_width, const WindowGeometry& g, const float* w, float bias,
                            float* out);

// out (uint8 or int8 per `type`) = Requantize(bias + sum w * x, scale, zero_point).
void i16_dwconv__ref(const int16_t* padded, int64_t padded_width, const WindowGeometry& g, const int16_t* w, int32_t bias,
                     float scale, int32_t zero_point, DataType type, void* out);
void i16_dwconv_8__wasmsimd(const int16_t* padded, int64_t padded_width, const WindowGeometry& g, const int16_t* w,
                            int32_t bias, float scale, int32_t zero_point, DataType type, void* out);

}  // namespace qplay
