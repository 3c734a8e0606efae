// Runs ONNX's own backend tests (model.onnx + test_data_set_*/input_*.pb, output_*.pb) and
// classifies each as passed, failed (wrong numbers or an error on valid input) or
// unsupported (an op, attribute value or element type qplay does not implement, named).
#pragma once
#include <string>
#include <vector>

namespace qplay {

struct ConformanceCase {
  std::string name;     // the test folder, e.g. "node/test_conv_with_strides_padding"
  std::string outcome;  // "passed", "failed" or "unsupported"
  std::string detail;   // why it failed / what is unsupported
};

struct ConformanceReport {
  std::vector<ConformanceCase> cases;
  int passed = 0, failed = 0, unsupported = 0;
  std::string ToJson() const;
};

// Tolerances of the comparison with the expected outputs; integers and bools must be equal.
struct Tolerance {
  double rtol = 1e-3;
  double atol = 1e-5;
};

// Each root is a test folder or a folder of test folders (searched recursively).
ConformanceReport RunConformance(const std::vector<std::string>& roots, Tolerance tolerance = {});

}  // namespace qplay
