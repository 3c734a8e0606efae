// qplay command-line tool: the same core as the page, natively.
//   qplay info MODEL [--json]
//   qplay run MODEL --input NAME=FILE.npy ... [--output-dir DIR]
//   qplay conformance DIR... [--json]
//   qplay roundtrip MODEL -o OUT
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "data/npy.h"
#include "graph/summary.h"
#include "runtime/session.h"
#include "tools/conformance.h"

namespace {

using namespace qplay;

constexpr const char* kUsage =
    "usage:\n"
    "  qplay info MODEL [--json]\n"
    "  qplay run MODEL --input NAME=FILE.npy ... [--output-dir DIR]\n"
    "  qplay conformance DIR... [--json]\n"
    "  qplay roundtrip MODEL -o OUT\n";

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> options;  // --name value (repeatable)
  bool json = false;
};

Result<Args> ParseArgs(int argc, char** argv, const std::vector<std::string>& valued) {
  Args args;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--json") {
      args.json = true;
    } else if (std::find(valued.begin(), valued.end(), a) != valued.end()) {
      if (i + 1 >= argc) return Fail(StatusCode::kInvalidArgument, a, " needs a value");
      args.options[a].push_back(argv[++i]);
    } else if (a.rfind("-", 0) == 0) {
      return Fail(StatusCode::kInvalidArgument, "unknown option ", a);
    } else {
      args.positional.push_back(a);
    }
  }
  return args;
}

int Report(const Status& status) {
  std::cerr << "qplay: " << status.message() << "\n";
  return 1;
}

Status WriteFile(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return out ? Status::Ok() : Fail(StatusCode::kInvalidArgument, "cannot write '", path, "'");
}

int Info(const Args& args) {
  if (args.positional.size() != 1) return Report(Fail(StatusCode::kInvalidArgument, "info takes one MODEL"));
  auto model = LoadModelFile(args.positional[0]);
  if (!model.ok()) return Report(model.status());
  ModelSummary summary = Summarize(*model);
  std::cout << (args.json ? SummaryToJson(summary) + "\n" : SummaryToText(summary));
  return 0;
}

int Run(const Args& args) {
  if (args.positional.size() != 1) return Report(Fail(StatusCode::kInvalidArgument, "run takes one MODEL"));
  auto model = LoadModelFile(args.positional[0]);
  if (!model.ok()) return Report(model.status());
  auto session = Session::Create(*model);
  if (!session.ok()) return Report(session.status());
  TensorMap inputs;
  auto it = args.options.find("--input");
  for (const auto& spec : it == args.options.end() ? std::vector<std::string>{} : it->second) {
    auto eq = spec.find('=');
    if (eq == std::string::npos) return Report(Fail(StatusCode::kInvalidArgument, "--input expects NAME=FILE.npy, got '", spec, "'"));
    const std::string name = spec.substr(0, eq), path = spec.substr(eq + 1);
    auto bytes = ReadFileBytes(path);
    if (!bytes.ok()) return Report(bytes.status());
    auto tensor = ParseNpy(bytes->data(), bytes->size(), path);
    if (!tensor.ok()) return Report(tensor.status());
    inputs[name] = tensor.value();
  }
  auto outputs = session->Run(inputs);
  if (!outputs.ok()) return Report(outputs.status());
  auto dir_it = args.options.find("--output-dir");
  const std::string dir = dir_it == args.options.end() ? "." : dir_it->second.back();
  std::filesystem::create_directories(dir);
  for (const auto& [name, tensor] : *outputs) {
    auto bytes = EncodeNpy(tensor);
    if (!bytes.ok()) return Report(bytes.status());
    // Output names may contain characters that are not valid in file names.
    std::string file = name;
    for (char& c : file)
      if (c == '/' || c == '\\' || c == ':') c = '_';
    const std::string path = dir + "/" + file + ".npy";
    Status written = WriteFile(path, *bytes);
    if (!written.ok()) return Report(written);
    std::cout << name << ": " << DataTypeName(tensor.dtype()) << " " << ShapeToString(tensor.shape()) << " -> " << path << "\n";
  }
  return 0;
}

int Conformance(const Args& args) {
  if (args.positional.empty()) return Report(Fail(StatusCode::kInvalidArgument, "conformance takes one or more DIRs"));
  ConformanceReport report = RunConformance(args.positional);
  if (args.json) {
    std::cout << report.ToJson() << "\n";
  } else {
    for (const auto& c : report.cases)
      if (c.outcome != "passed") std::cout << c.outcome << ": " << c.name << ": " << c.detail << "\n";
    std::cout << "passed " << report.passed << ", failed " << report.failed << ", unsupported " << report.unsupported << "\n";
  }
  return report.failed == 0 ? 0 : 1;
}

int Roundtrip(const Args& args) {
  auto out = args.options.find("-o");
  if (args.positional.size() != 1 || out == args.options.end())
    return Report(Fail(StatusCode::kInvalidArgument, "roundtrip takes MODEL -o OUT"));
  auto model = LoadModelFile(args.positional[0]);
  if (!model.ok()) return Report(model.status());
  auto bytes = SaveModel(*model);
  if (!bytes.ok()) return Report(bytes.status());
  Status written = WriteFile(out->second.back(), *bytes);
  return written.ok() ? 0 : Report(written);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string command = argv[1];
  auto args = ParseArgs(argc, argv, {"--input", "--output-dir", "-o"});
  if (!args.ok()) return Report(args.status());
  if (command == "info") return Info(*args);
  if (command == "run") return Run(*args);
  if (command == "conformance") return Conformance(*args);
  if (command == "roundtrip") return Roundtrip(*args);
  std::cerr << "qplay: unknown command '" << command << "'\n" << kUsage;
  return 2;
}
