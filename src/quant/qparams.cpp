#include "quant/qparams.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace qplay {

Result<QuantRange> RangeFor(DataType type, bool symmetric, bool reduce_range) {
  switch (type) {
    case DataType::kInt8:
      if (reduce_range) return QuantRange{-64, 64};
      return symmetric ? QuantRange{-127, 127} : QuantRange{-128, 127};
    case DataType::kUint8:
      if (reduce_range) return QuantRange{0, 127};
      return symmetric ? QuantRange{0, 254} : QuantRange{0, 255};
    case DataType::kInt16:
      return symmetric ? QuantRange{-32767, 32767} : QuantRange{-32768, 32767};
    case DataType::kUint16:
      return symmetric ? QuantRange{0, 65534} : QuantRange{0, 65535};
    case DataType::kInt4:  // ONNX Runtime keeps 4-bit types' full range when symmetric
      return QuantRange{-8, 7};
    case DataType::kUint4:
      return QuantRange{0, 15};
    default:
      return Fail(StatusCode::kInvalidArgument, "cannot quantize to ", DataTypeName(type),
                  "; expected int8, uint8, int16, uint16, int4 or uint4");
  }
}

QParams ComputeQParams(float rmin_in, float rmax_in, QuantRange range, bool symmetric) {
  // A range observed on NaN or infinite values (a hostile model or samples): NaN bounds count as
  // 0, infinite ones as the largest float, so that the parameters stay finite.
  auto finite = [](float v) { return std::isnan(v) ? 0.0 : std::clamp<double>(v, -FLT_MAX, FLT_MAX); };
  double rmin = std::min(finite(rmin_in), 0.0), rmax = std::max(finite(rmax_in), 0.0);
  if (symmetric) {
    const double absmax = std::max(std::abs(rmin), std::abs(rmax));
    rmin = -absmax;
    rmax = absmax;
  }
  if (rmax == rmin) return {};
  const double scale = (rmax - rmin) / static_cast<double>(range.qmax - range.qmin);
  QParams q;
  q.scale = static_cast<float>(scale);
  if (symmetric) {
    q.zero_point = static_cast<int32_t>(std::nearbyint((range.qmin + range.qmax) / 2.0));
  } else {
    const double zp = std::nearbyint(range.qmin - rmin / scale);
    q.zero_point = static_cast<int32_t>(std::clamp<double>(zp, range.qmin, range.qmax));
  }
  return q;
}

}  // namespace qplay
