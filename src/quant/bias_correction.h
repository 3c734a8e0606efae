// Bias correction (Nagel et al., 2019): quantizing a layer's weights shifts the mean of its
// output by (W - W_q) E[x]. The quantized model (simulated in float) runs over the calibration
// samples to measure the mean of each input channel of every quantized Conv and Gemm with a
// bias; that shift is added to the float bias, and the caller quantizes again (QuantizeStatic
// does, when the config asks for bias_correction). Padding is taken to hold the mean too.
#pragma once
#include "passes/passes.h"
#include "quant/calibrator.h"

namespace qplay {

// `prepared` is the float model as the quantizer prepared it (its node names are the ones in
// `quantized`); its bias initializers are corrected in place.
Result<PassReport> CorrectBiases(Model& prepared, const Model& quantized, const SampleSet& samples, int64_t limit);

}  // namespace qplay
