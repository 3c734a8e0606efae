// Samples in comma-separated text: one sample per row, one feature per column.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/tensor.h"

namespace qplay {

struct CsvSamples {
  Tensor features;              // float32 [rows, feature columns]
  std::optional<Tensor> labels; // int64 [rows], from a column named label(s), y, target or class
};

// A first row holding anything but numbers is a header; blank lines are skipped. Fails naming the
// row and column of a cell that is not a finite number, a row of another width, or a label that
// is not a whole number. `source` names the file in error messages.
Result<CsvSamples> ParseCsv(std::string_view text, const std::string& source);

}  // namespace qplay
