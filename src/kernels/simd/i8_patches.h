// An 8-bit convolution's input patches packed straight into the 8-bit GEMM's B panels,
// without an im2col copy, for windows that step one or two columns at a time over output rows
// of at least one panel (kI8GemmNr positions): the channel planes are widened once into int16
// minus the zero point with zero padding around them, and then each panel row (one channel
// and tap, eight output positions) is one vector load from its plane (the even lanes of two
// at stride 2), or two such blended where the panel wraps from one output row to the next.
#pragma once
#include <cstdint>
#include <vector>

#include "kernels/conv_geometry.h"
#include "kernels/simd/i8_gemm.h"

namespace qplay {

bool PacksPatchesDirectly(const WindowGeometry& g);

// B for `channels` planes of x (each g.input[0] x g.input[1]): row kk = (channel, ky, kx),
// column = output position. `planes` is scratch kept between calls (its padding is written
// once per size).
template <typename T>
void PackI8Patches(const T* x, int64_t channels, const WindowGeometry& g, int32_t zero_point, std::vector<int16_t>& planes,
                   I8PackedB& b);

}  // namespace qplay
