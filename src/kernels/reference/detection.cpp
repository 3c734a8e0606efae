// Object-detection kernels: NonMaxSuppression and RoiAlign, as ONNX Runtime's CPU provider
// computes them (its results are the ones exporters are checked against).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

#include "kernels/registry.h"

namespace qplay {
namespace {

// A box's extent along one axis: [low, high] whichever order the corners come in.
struct Span {
  float low, high;
};

Span Between(float a, float b) { return a <= b ? Span{a, b} : Span{b, a}; }

struct Box {
  Span x, y;
};

// center_point_box 0: [y1, x1, y2, x2] (any two opposite corners); 1: [x_center, y_center, width, height].
Box ReadBox(const float* b, bool center_point) {
  if (!center_point) return {Between(b[1], b[3]), Between(b[0], b[2])};
  return {{b[0] - b[2] / 2, b[0] + b[2] / 2}, {b[1] - b[3] / 2, b[1] + b[3] / 2}};
}

bool OverlapsPast(const Box& a, const Box& b, float iou_threshold) {
  const float x_low = std::max(a.x.low, b.x.low), x_high = std::min(a.x.high, b.x.high);
  if (x_high <= x_low) return false;
  const float y_low = std::max(a.y.low, b.y.low), y_high = std::min(a.y.high, b.y.high);
  if (y_high <= y_low) return false;
  const float intersection = (x_high - x_low) * (y_high - y_low);
  const float area_a = (a.x.high - a.x.low) * (a.y.high - a.y.low), area_b = (b.x.high - b.x.low) * (b.y.high - b.y.low);
  const float union_area = area_a + area_b - intersection;
  if (intersection <= 0 || area_a <= 0 || area_b <= 0 || union_area <= 0) return false;
  return intersection / union_area > iou_threshold;
}

// For each batch and class, boxes by falling score (equal scores by index), each kept unless it
// overlaps a kept one by more than iou_threshold; at most max_output_boxes_per_class per class.
Status NonMaxSuppression(KernelContext& ctx) {
  const Tensor &boxes = ctx.in(0), &scores = ctx.in(1);
  if (boxes.rank() != 3 || boxes.dim(2) != 4) return ctx.Invalid("boxes must be [batches, boxes, 4], got ", ShapeToString(boxes.shape()));
  if (scores.rank() != 3 || scores.dim(0) != boxes.dim(0) || scores.dim(2) != boxes.dim(1))
    return ctx.Invalid("scores must be [batches, classes, boxes] = [", boxes.dim(0), ", classes, ", boxes.dim(1), "], got ",
                       ShapeToString(scores.shape()));
  static const char* const kScalars[] = {"max_output_boxes_per_class", "iou_threshold", "score_threshold"};
  for (size_t i = 2; i < 5; ++i)
    if (ctx.has(i) && ctx.in(i).size() != 1)
      return ctx.Invalid(kScalars[i - 2], " must hold one value, got shape ", ShapeToString(ctx.in(i).shape()));
  const int64_t max_per_class = ctx.has(2) ? std::max<int64_t>(ctx.in(2).GetAsInt64(0), 0) : 0;
  const float iou_threshold = ctx.has(3) ? static_cast<float>(ctx.in(3).GetAsDouble(0)) : 0.0f;
  if (!(iou_threshold >= 0 && iou_threshold <= 1)) return ctx.Invalid("iou_threshold ", iou_threshold, " must be in [0, 1]");
  const std::optional<float> score_threshold =
      ctx.has(4) ? std::optional<float>(static_cast<float>(ctx.in(4).GetAsDouble(0))) : std::nullopt;
  const bool center_point = ctx.node.GetInt("center_point_box", 0) != 0;
  const int64_t batches = boxes.dim(0), classes = scores.dim(1), count = boxes.dim(1);
  std::vector<int64_t> selected;  // (batch, class, box) triples
  std::vector<int64_t> order;
  std::vector<Box> kept;
  for (int64_t b = 0; b < batches && max_per_class > 0; ++b) {
    const float* batch_boxes = boxes.data<float>() + b * count * 4;
    for (int64_t c = 0; c < classes; ++c) {
      const float* s = scores.data<float>() + (b * classes + c) * count;
      order.clear();
      for (int64_t i = 0; i < count; ++i)
        if (!score_threshold || s[i] > *score_threshold) order.push_back(i);
      std::stable_sort(order.begin(), order.end(), [&](int64_t i, int64_t j) { return s[i] > s[j]; });
      kept.clear();
      for (int64_t i : order) {
        if (static_cast<int64_t>(kept.size()) >= max_per_class) break;
        const Box box = ReadBox(batch_boxes + i * 4, center_point);
        if (std::any_of(kept.begin(), kept.end(), [&](const Box& k) { return OverlapsPast(k, box, iou_threshold); })) continue;
        kept.push_back(box);
        selected.insert(selected.end(), {b, c, i});
      }
    }
  }
  Tensor& out = ctx.Output(0, DataType::kInt64, {static_cast<int64_t>(selected.size() / 3), 3});
  std::copy(selected.begin(), selected.end(), out.data<int64_t>());
  return Status::Ok();
}

// One bilinear sample: four neighbours of a feature map and their weights.
template <typename T>
struct Sample {
  int64_t at[4] = {0, 0, 0, 0};
  T weight[4] = {0, 0, 0, 0};
};

// Where sample (y, x) falls in an height x width map: zero weights when it lies more than a pixel
// outside (or is NaN, from a NaN roi), else clamped to the map's edge.
template <typename T>
Sample<T> BilinearSample(T y, T x, int64_t height, int64_t width) {
  Sample<T> s;
  if (!(y >= -1.0 && y <= height && x >= -1.0 && x <= width)) return s;
  y = std::max<T>(y, 0);
  x = std::max<T>(x, 0);
  int64_t y_low = static_cast<int64_t>(y), x_low = static_cast<int64_t>(x), y_high, x_high;
  if (y_low >= height - 1) {
    y_high = y_low = height - 1;
    y = static_cast<T>(y_low);
  } else {
    y_high = y_low + 1;
  }
  if (x_low >= width - 1) {
    x_high = x_low = width - 1;
    x = static_cast<T>(x_low);
  } else {
    x_high = x_low + 1;
  }
  const T ly = y - y_low, lx = x - x_low, hy = 1 - ly, hx = 1 - lx;
  s.at[0] = y_low * width + x_low;
  s.at[1] = y_low * width + x_high;
  s.at[2] = y_high * width + x_low;
  s.at[3] = y_high * width + x_high;
  s.weight[0] = hy * hx;
  s.weight[1] = hy * lx;
  s.weight[2] = ly * hx;
  s.weight[3] = ly * lx;
  return s;
}

// Each region of interest [x1, y1, x2, y2] (times spatial_scale) pooled to output_height x
// output_width bins of sampling_ratio^2 bilinear samples (or as many as the bin is pixels wide).
// "max" takes the largest weighted neighbour of any sample, as ONNX Runtime does.
template <typename T>
Status RoiAlignTyped(KernelContext& ctx) {
  const Tensor &x = ctx.in(0), &rois = ctx.in(1), &batch_indices = ctx.in(2);
  if (x.rank() != 4) return ctx.Invalid("X must be [N, C, H, W], got ", ShapeToString(x.shape()));
  if (rois.rank() != 2 || rois.dim(1) != 4) return ctx.Invalid("rois must be [rois, 4], got ", ShapeToString(rois.shape()));
  if (batch_indices.rank() != 1 || batch_indices.dim(0) != rois.dim(0))
    return ctx.Invalid("batch_indices must be [", rois.dim(0), "] (one per roi), got ", ShapeToString(batch_indices.shape()));
  const int64_t rois_count = rois.dim(0), channels = x.dim(1), height = x.dim(2), width = x.dim(3);
  const int64_t out_h = ctx.node.GetInt("output_height", 1), out_w = ctx.node.GetInt("output_width", 1);
  const int64_t sampling_ratio = ctx.node.GetInt("sampling_ratio", 0);
  const T scale = static_cast<T>(ctx.node.GetFloat("spatial_scale", 1.0f));
  const bool max_mode = ctx.node.GetString("mode", "avg") == "max";
  const bool half_pixel = ctx.opset >= 16 && ctx.node.GetString("coordinate_transformation_mode", "half_pixel") == "half_pixel";
  const T offset = half_pixel ? T(0.5) : T(0);
  QPLAY_RETURN_IF_ERROR(ctx.CheckOutputSize(x.dtype(), {rois_count, channels, out_h, out_w}));
  Tensor& out = ctx.Output(0, x.dtype(), {rois_count, channels, out_h, out_w});
  std::vector<Sample<T>> samples;
  for (int64_t n = 0; n < rois_count; ++n) {
    const int64_t batch = batch_indices.GetAsInt64(n);
    if (batch < 0 || batch >= x.dim(0)) return ctx.Invalid("batch index ", batch, " of roi ", n, " is not in [0, ", x.dim(0), ")");
    const T* roi = rois.data<T>() + n * 4;
    const T start_w = roi[0] * scale - offset, start_h = roi[1] * scale - offset;
    T roi_w = roi[2] * scale - offset - start_w, roi_h = roi[3] * scale - offset - start_h;
    if (!half_pixel) {
      roi_w = std::max<T>(roi_w, 1);
      roi_h = std::max<T>(roi_h, 1);
    }
    const T bin_h = roi_h / static_cast<T>(out_h), bin_w = roi_w / static_cast<T>(out_w);
    // A roi of negative extent (half_pixel allows it) or of NaN coordinates samples nothing, as
    // ONNX Runtime's loops do.
    const T grid_h_real = std::max<T>(0, sampling_ratio > 0 ? static_cast<T>(sampling_ratio) : std::ceil(roi_h / static_cast<T>(out_h)));
    const T grid_w_real = std::max<T>(0, sampling_ratio > 0 ? static_cast<T>(sampling_ratio) : std::ceil(roi_w / static_cast<T>(out_w)));
    if (!(grid_h_real <= 1 << 20 && grid_w_real <= 1 << 20 && grid_h_real * grid_w_real <= 1 << 20))
      return ctx.Invalid("roi ", n, " would take ", grid_h_real, " x ", grid_w_real, " samples per bin");
    const int64_t grid_h = static_cast<int64_t>(grid_h_real), grid_w = static_cast<int64_t>(grid_w_real);
    const T count = static_cast<T>(std::max<int64_t>(grid_h * grid_w, 1));
    samples.clear();
    for (int64_t ph = 0; ph < out_h; ++ph)
      for (int64_t pw = 0; pw < out_w; ++pw)
        for (int64_t iy = 0; iy < grid_h; ++iy) {
          const T y = start_h + ph * bin_h + (static_cast<T>(iy) + T(0.5)) * bin_h / static_cast<T>(grid_h);
          for (int64_t ix = 0; ix < grid_w; ++ix) {
            const T xx = start_w + pw * bin_w + (static_cast<T>(ix) + T(0.5)) * bin_w / static_cast<T>(grid_w);
            samples.push_back(BilinearSample<T>(y, xx, height, width));
          }
        }
    const size_t per_bin = static_cast<size_t>(grid_h * grid_w);
    for (int64_t c = 0; c < channels; ++c) {
      const T* map = x.data<T>() + (batch * channels + c) * height * width;
      T* o = out.data<T>() + (n * channels + c) * out_h * out_w;
      for (int64_t bin = 0; bin < out_h * out_w; ++bin) {
        T value = 0;
        for (size_t k = 0; k < per_bin; ++k) {
          const Sample<T>& s = samples[bin * per_bin + k];
          if (max_mode) {
            const T v = std::max({s.weight[0] * map[s.at[0]], s.weight[1] * map[s.at[1]], s.weight[2] * map[s.at[2]],
                                  s.weight[3] * map[s.at[3]]});
            value = k == 0 ? v : std::max(value, v);
          } else {
            value += s.weight[0] * map[s.at[0]] + s.weight[1] * map[s.at[1]] + s.weight[2] * map[s.at[2]] +
                     s.weight[3] * map[s.at[3]];
          }
        }
        o[bin] = max_mode ? value : value / count;
      }
    }
  }
  return Status::Ok();
}

Status RoiAlign(KernelContext& ctx) {
  if (ctx.in(0).dtype() == DataType::kDouble) return RoiAlignTyped<double>(ctx);
  if (ctx.in(0).dtype() == DataType::kFloat) return RoiAlignTyped<float>(ctx);
  return ctx.Unsupported("element type ", DataTypeName(ctx.in(0).dtype()));
}

}  // namespace

void RegisterDetectionKernels(KernelRegistry& r) {
  r.Add("NonMaxSuppression", NonMaxSuppression);
  r.Add("RoiAlign", RoiAlign);
}

}  // namespace qplay
