// ErrorMetrics and a layer's TensorError as the JSON objects reports use (an infinite SQNR,
// identical tensors, is null).
#pragma once
#include <cmath>
#include <nlohmann/json.hpp>

#include "analysis/layer_error.h"
#include "analysis/metrics.h"

namespace qplay {

inline nlohmann::json ToJson(const ErrorMetrics& m) {
  auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"sqnr_db", number(m.sqnr_db)}, {"cosine", m.cosine}, {"mse", m.mse}, {"max_abs", m.max_abs}};
}

nlohmann::json ToJson(const TensorError& error);  // defined in layer_error.cpp

}  // namespace qplay
