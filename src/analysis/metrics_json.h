// ErrorMetrics as the JSON object reports use (an infinite SQNR, identical tensors, is null).
#pragma once
#include <cmath>
#include <nlohmann/json.hpp>

#include "analysis/metrics.h"

namespace qplay {

inline nlohmann::json ToJson(const ErrorMetrics& m) {
  auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"sqnr_db", number(m.sqnr_db)}, {"cosine", m.cosine}, {"mse", m.mse}, {"max_abs", m.max_abs}};
}

}  // namespace qplay
