// Class labels for accuracy and training: whole numbers naming one of the model's classes.
#pragma once
#include <cstdint>

#include "core/status.h"
#include "core/tensor.h"

namespace qplay {

// Fails naming the first sample whose label is not a whole number, or not in 0..classes-1
// ("label 12 of sample 3 is not one of the model's 10 classes (0 to 9)"). `first_sample`
// numbers the samples of a batch within the whole set.
Status CheckClassLabels(const Tensor& labels, int64_t classes, int64_t first_sample = 0);

}  // namespace qplay
