#include "ops/resize_geometry.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "ops/resize.h"
#include "ops/value_info.h"

namespace qplay {
namespace {

const Tensor* Given(const std::vector<const Tensor*>& inputs, size_t i) {
  return i < inputs.size() && inputs[i] && inputs[i]->size() > 0 ? inputs[i] : nullptr;
}

// Beyond this an output dimension cannot be a tensor's.
constexpr double kLargestDim = 4.0e18;

}  // namespace

ResizeInputs PickResizeInputs(const Node& node, int64_t opset, const std::vector<const Tensor*>& inputs) {
  if (IsOp(node, ops::kUpsample) || opset < 11) return {nullptr, Given(inputs, 1), nullptr};
  return {Given(inputs, 1), Given(inputs, 2), Given(inputs, 3)};
}

Result<ResizeGeometry> ComputeResizeGeometry(const Node& node, const Shape& input, const ResizeInputs& given) {
  const int64_t rank = static_cast<int64_t>(input.size());
  std::vector<int64_t> axes = node.GetInts("axes");
  if (axes.empty()) {
    axes.resize(rank);
    std::iota(axes.begin(), axes.end(), 0);
  }
  for (int64_t& axis : axes)
    if (!NormalizeAxis(axis, rank)) return Fail(StatusCode::kInvalidArgument, "axes holds ", axis, ", outside rank ", rank);
  const int64_t n = static_cast<int64_t>(axes.size());
  ResizeGeometry g{axes, input, std::vector<double>(rank, 1.0), std::vector<double>(rank, 0.0), std::vector<double>(rank, 1.0)};

  if (given.roi) {
    if (given.roi->size() != 2 * n)
      return Fail(StatusCode::kInvalidArgument, "roi has ", given.roi->size(), " values; expected ", 2 * n, " (a start and an end for each of ", n, " axes)");
    for (int64_t i = 0; i < n; ++i) {
      g.roi_start[axes[i]] = given.roi->GetAsDouble(i);
      g.roi_end[axes[i]] = given.roi->GetAsDouble(n + i);
    }
  }
  const std::string policy = node.GetString("keep_aspect_ratio_policy", "stretch");
  std::vector<float> legacy_scales;
  if (!given.scales && !given.sizes && node.Has("scales")) legacy_scales = node.GetFloats("scales");  // Upsample-7
  if (given.scales || !legacy_scales.empty()) {
    const int64_t count = given.scales ? given.scales->size() : static_cast<int64_t>(legacy_scales.size());
    if (count != n) return Fail(StatusCode::kInvalidArgument, "scales has ", count, " values for ", n, " axes");
    if (policy != "stretch")
      return Fail(StatusCode::kInvalidArgument, "keep_aspect_ratio_policy '", policy, "' needs sizes, not scales");
    for (int64_t i = 0; i < n; ++i) {
      const double scale = given.scales ? given.scales->GetAsDouble(i) : legacy_scales[i];
      const double size = std::floor(static_cast<double>(input[axes[i]]) * scale);
      if (!(scale > 0) || !(size < kLargestDim))
        return Fail(StatusCode::kInvalidArgument, "scales[", i, "] is ", scale, "; scales must be positive and finite");
      g.scales[axes[i]] = scale;
      g.output[axes[i]] = static_cast<int64_t>(size);
    }
    return g;
  }
  if (!given.sizes) return Fail(StatusCode::kInvalidArgument, "needs scales or sizes");
  if (given.sizes->size() != n) return Fail(StatusCode::kInvalidArgument, "sizes has ", given.sizes->size(), " values for ", n, " axes");
  const std::vector<int64_t> sizes = given.sizes->ToInt64Vector();
  for (int64_t i = 0; i < n; ++i) {
    if (sizes[i] < 0) return Fail(StatusCode::kInvalidArgument, "sizes[", i, "] is ", sizes[i], "; sizes cannot be negative");
    if (input[axes[i]] == 0 && sizes[i] != 0)
      return Fail(StatusCode::kInvalidArgument, "axis ", axes[i], " is empty; it cannot be resized to ", sizes[i]);
  }
  if (policy == "stretch") {
    for (int64_t i = 0; i < n; ++i) {
      const int64_t d = axes[i];
      g.output[d] = sizes[i];
      g.scales[d] = input[d] == 0 ? 1.0 : static_cast<double>(sizes[i]) / static_cast<double>(input[d]);
    }
    return g;
  }
  // One scale for all the axes, the largest that fits (not_larger) or the smallest that covers
  // (not_smaller); each size is then rounded, in float as ONNX computes it.
  const bool not_larger = policy == "not_larger";
  float common = not_larger ? std::numeric_limits<float>::max() : 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    if (input[axes[i]] == 0) continue;
    const float ratio = static_cast<float>(sizes[i]) / static_cast<float>(input[axes[i]]);
    common = not_larger ? std::min(common, ratio) : std::max(common, ratio);
  }
  for (int64_t i = 0; i < n; ++i) {
    const int64_t d = axes[i];
    g.output[d] = static_cast<int64_t>(std::round(common * static_cast<float>(input[d])));
    g.scales[d] = common;
  }
  return g;
}

}  // namespace qplay
