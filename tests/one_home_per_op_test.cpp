// One home per op: an op's quoted name appears in src/ only in its own files, so that adding or
// changing an op touches its schema entry, its kernels, its gradient and its test, and code
// elsewhere names it through the identity its family header exports (ops/conv.h: ops::kConv).
// Its own files are: the family's schema source in src/ops and its header, the kernel sources
// that register it, the gradient table (train/op_grads.cpp) and the backends' policy table
// (quant/backend.cpp: which ops each target runtime quantizes is a fact about the runtime).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "ops/schema.h"
#include "test_paths.h"

namespace qplay {
namespace {

namespace fs = std::filesystem;

std::map<std::string, std::string> SourcesUnder(const fs::path& src) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(src)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    files[fs::relative(entry.path(), src).string()] = text.str();
  }
  return files;
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// RNN, GRU and LSTM name their activation functions in an attribute ("Sigmoid", "Tanh"...):
// values of that attribute, not references to the ops.
bool IsRecurrentActivationName(const std::string& file, const std::string& op) {
  static const std::set<std::string> kActivations = {"Relu", "Tanh", "Sigmoid", "Affine", "LeakyRelu", "ThresholdedRelu",
                                                     "ScaledTanh", "HardSigmoid", "Elu", "Softsign", "Softplus"};
  static const std::set<std::string> kRecurrentFiles = {"ops/recurrent.cpp", "kernels/reference/recurrent.cpp",
                                                        "train/lstm_grads.cpp"};
  return kActivations.count(op) && kRecurrentFiles.count(file);
}

// A schema's input or output named like an op (LayerNormalization's output "Mean").
const std::regex kArgumentName(R"re((Input|Output)\("\w+")re");

TEST(OneHomePerOp, AnOpsQuotedNameAppearsOnlyInItsOwnFiles) {
  const auto files = SourcesUnder(fs::path(QPLAY_SOURCE_DIR) / "src");
  std::set<std::string> op_types;
  for (const OpSchema* schema : SchemaRegistry::Get().All()) op_types.insert(schema->op_type());
  ASSERT_GT(op_types.size(), 100u);
  for (const std::string& op : op_types) {
    const std::string quoted = "\"" + op + "\"";
    const std::regex registration("Add\\(\\s*" + quoted);
    std::set<std::string> schema_sources, found;
    for (const auto& [file, text] : files) {
      if (std::regex_replace(text, kArgumentName, "").find(quoted) == std::string::npos) continue;
      found.insert(file);
      if (StartsWith(file, "ops/") && fs::path(file).extension() == ".cpp") schema_sources.insert(file);
    }
    EXPECT_EQ(schema_sources.size(), 1u) << op << " is named in " << ::testing::PrintToString(schema_sources)
                                         << "; its schema entry belongs in one family file";
    for (const std::string& file : found) {
      const bool family = schema_sources.size() == 1 &&
                          fs::path(file).replace_extension() == fs::path(*schema_sources.begin()).replace_extension();
      const bool kernel = StartsWith(file, "kernels/") && std::regex_search(files.at(file), registration);
      const bool own = family || kernel || file == "train/op_grads.cpp" || file == "quant/backend.cpp" ||
                       IsRecurrentActivationName(file, op);
      EXPECT_TRUE(own) << "src/" << file << " names op " << quoted
                       << " outside its own files; name it through its family header's ops::k" << op;
    }
  }
}

}  // namespace
}  // namespace qplay
