#include "data/csv.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <vector>

namespace qplay {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> SplitRow(std::string_view line) {
  std::vector<std::string_view> cells;
  for (size_t start = 0;;) {
    const size_t comma = line.find(',', start);
    cells.push_back(Trim(line.substr(start, comma == std::string_view::npos ? comma : comma - start)));
    if (comma == std::string_view::npos) return cells;
    start = comma + 1;
  }
}

// The cell as a finite number, or nothing. Digits only in decimal or exponent form: no "nan",
// "inf" or hexadecimal, which strtod would take.
std::optional<double> Number(std::string_view cell) {
  if (cell.empty() || cell.size() > 64) return std::nullopt;
  for (char c : cell)
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E')
      return std::nullopt;
  const std::string copy(cell);
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

bool IsLabelColumn(std::string_view name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "label" || lower == "labels" || lower == "y" || lower == "target" || lower == "class";
}

}  // namespace

Result<CsvSamples> ParseCsv(std::string_view text, const std::string& source) {
  std::vector<std::vector<std::string_view>> rows;
  std::vector<size_t> line_numbers;  // 1-based, for messages
  size_t line_number = 0;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    ++line_number;
    std::string_view line = text.substr(start, end - start);
    if (!Trim(line).empty()) {
      rows.push_back(SplitRow(line));
      line_numbers.push_back(line_number);
    }
    start = end + 1;
  }
  if (rows.empty()) return Fail(StatusCode::kInvalidArgument, source, ": the file has no rows");

  int64_t label_column = -1;
  size_t first = 0;
  for (std::string_view cell : rows[0]) {
    if (Number(cell)) continue;
    first = 1;  // a header
    for (size_t c = 0; c < rows[0].size(); ++c)
      if (IsLabelColumn(rows[0][c])) label_column = static_cast<int64_t>(c);
    break;
  }
  if (first == rows.size()) return Fail(StatusCode::kInvalidArgument, source, ": the file has a header but no rows");
  const size_t width = rows[first].size();
  if (first == 1 && rows[0].size() != width)
    return Fail(StatusCode::kInvalidArgument, source, ": the header has ", rows[0].size(), " columns, but row ",
                line_numbers[1], " has ", width);
  const int64_t samples = static_cast<int64_t>(rows.size() - first);
  const int64_t features = static_cast<int64_t>(width) - (label_column >= 0 ? 1 : 0);
  if (features == 0) return Fail(StatusCode::kInvalidArgument, source, ": the rows hold labels but no features");

  auto table = Tensor::Allocate(DataType::kFloat, {samples, features}, source);
  if (!table.ok()) return table.status();
  CsvSamples out{std::move(*table), std::nullopt};
  if (label_column >= 0) out.labels = Tensor(DataType::kInt64, {samples});
  float* values = out.features.data<float>();
  for (size_t r = first; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if (row.size() != width)
      return Fail(StatusCode::kInvalidArgument, source, ": row ", line_numbers[r], " has ", row.size(),
                  " columns, expected ", width);
    for (size_t c = 0; c < width; ++c) {
      const auto value = Number(row[c]);
      if (!value)
        return Fail(StatusCode::kInvalidArgument, source, ": row ", line_numbers[r], ", column ", c + 1,
                    " is not a number: '", std::string(row[c]), "'");
      if (static_cast<int64_t>(c) != label_column) {
        *values++ = static_cast<float>(*value);
        continue;
      }
      if (*value != std::floor(*value) || std::fabs(*value) > 9.0e15)
        return Fail(StatusCode::kInvalidArgument, source, ": row ", line_numbers[r], ": the label ", std::string(row[c]),
                    " is not a whole class number");
      out.labels->data<int64_t>()[r - first] = static_cast<int64_t>(*value);
    }
  }
  return out;
}

}  // namespace qplay
