#include "data/labels.h"

#include <cmath>

namespace qplay {

Status CheckClassLabels(const Tensor& labels, int64_t classes, int64_t first_sample) {
  const bool whole = labels.dtype() != DataType::kFloat && labels.dtype() != DataType::kDouble;
  for (int64_t i = 0; i < labels.size(); ++i) {
    const double value = labels.GetAsDouble(i);
    if (!whole && value != std::floor(value))
      return Fail(StatusCode::kInvalidArgument, "label ", value, " of sample ", first_sample + i, " is not a whole number");
    if (!(value >= 0 && value < static_cast<double>(classes)))
      return Fail(StatusCode::kInvalidArgument, "label ", value, " of sample ", first_sample + i, " is not one of the model's ",
                  classes, " classes (0 to ", classes - 1, ")");
  }
  return Status::Ok();
}

}  // namespace qplay
