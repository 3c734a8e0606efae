// qplay command-line tool: the same core as the page, natively.
//   qplay info MODEL [--json]
//   qplay run MODEL --input NAME=FILE.npy ... [--output-dir DIR]
//   qplay conformance DIR... [--json]
//   qplay roundtrip MODEL -o OUT
//   qplay quantize MODEL -o OUT --calib X.npy [options]   (see kUsage)
//   qplay eval MODEL --data X.npy [--labels Y.npy] [--compare QMODEL] [--json]
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "analysis/metrics.h"
#include "data/npy.h"
#include "graph/summary.h"
#include "quant/backend.h"
#include "quant/static_quantizer.h"
#include "runtime/session.h"
#include "tools/conformance.h"

namespace {

using namespace qplay;

constexpr const char* kUsage =
    "usage:\n"
    "  qplay info MODEL [--json]\n"
    "  qplay run MODEL --input NAME=FILE.npy ... [--output-dir DIR]\n"
    "  qplay conformance DIR... [--json]\n"
    "  qplay roundtrip MODEL -o OUT\n"
    "  qplay quantize MODEL -o OUT --calib X.npy [--calib-limit N]\n"
    "        [--method minmax|moving-average|percentile|entropy|mse] [--percentile P] [--per-channel]\n"
    "        [--backend onnxruntime|tflite|tensorrt|xnnpack] [--format qdq] [--activation-type uint8|int8|int16] [--weight-type int8|uint8]\n"
    "        [--symmetric-activations] [--symmetric-weights] [--reduce-range] [--exclude NODE ...]\n"
    "        [--op-types T,...] [--config FILE.json] [--json]\n"
    "  qplay eval MODEL --data X.npy [--labels Y.npy] [--compare QMODEL] [--batch N] [--json]\n";

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> options;  // --name value (repeatable)
  std::set<std::string> flags;                              // --name
  bool json = false;
  bool Has(const std::string& flag) const { return flags.count(flag) > 0; }
  std::string Value(const std::string& option, const std::string& fallback = "") const {
    auto it = options.find(option);
    return it == options.end() ? fallback : it->second.back();
  }
};

const std::vector<std::string> kFlags = {"--per-channel", "--symmetric-activations", "--symmetric-weights", "--reduce-range"};

Result<Args> ParseArgs(int argc, char** argv, const std::vector<std::string>& valued) {
  Args args;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--json") {
      args.json = true;
    } else if (std::find(kFlags.begin(), kFlags.end(), a) != kFlags.end()) {
      args.flags.insert(a);
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

Result<Tensor> LoadNpyFile(const std::string& path) {
  auto bytes = ReadFileBytes(path);
  if (!bytes.ok()) return bytes.status();
  return ParseNpy(bytes->data(), bytes->size(), path);
}

Result<QuantizationConfig> ConfigFromArgs(const Args& args) {
  QuantizationConfig config;
  if (!args.Value("--config").empty()) {
    auto bytes = ReadFileBytes(args.Value("--config"));
    if (!bytes.ok()) return bytes.status();
    auto parsed = QuantizationConfig::FromJson(std::string(bytes->begin(), bytes->end()));
    if (!parsed.ok()) return parsed.status().WithContext(args.Value("--config"));
    config = parsed.value();
  }
  if (!args.Value("--backend").empty()) {
    auto backend = FindBackend(args.Value("--backend"));
    if (!backend.ok()) return backend.status();
    backend->ApplyDefaults(config);
  }
  const std::string format = args.Value("--format", "qdq");
  if (format != "qdq" && format != "qoperator") return Fail(StatusCode::kInvalidArgument, "--format must be qdq or qoperator");
  if (format == "qoperator") config.format = QuantFormat::kQOperator;
  // Command-line options override the config file.
  nlohmann::json overrides = nlohmann::json::parse(config.ToJson());
  if (!args.Value("--method").empty()) overrides["calibrate_method"] = args.Value("--method");
  if (!args.Value("--activation-type").empty()) overrides["activation_type"] = args.Value("--activation-type");
  if (!args.Value("--weight-type").empty()) overrides["weight_type"] = args.Value("--weight-type");
  if (args.Has("--per-channel")) overrides["per_channel"] = true;
  if (args.Has("--reduce-range")) overrides["reduce_range"] = true;
  if (args.Has("--symmetric-activations")) overrides["extra_options"]["ActivationSymmetric"] = true;
  if (args.Has("--symmetric-weights")) overrides["extra_options"]["WeightSymmetric"] = true;
  if (!args.Value("--percentile").empty()) overrides["extra_options"]["CalibPercentile"] = std::atof(args.Value("--percentile").c_str());
  if (!args.Value("--calib-limit").empty()) overrides["calibration_limit"] = std::atoll(args.Value("--calib-limit").c_str());
  auto excluded = args.options.find("--exclude");
  if (excluded != args.options.end())
    for (const auto& node : excluded->second) overrides["nodes_to_exclude"].push_back(node);
  if (!args.Value("--op-types").empty()) {
    std::stringstream list(args.Value("--op-types"));
    overrides["op_types_to_quantize"] = nlohmann::json::array();
    for (std::string op; std::getline(list, op, ',');) overrides["op_types_to_quantize"].push_back(op);
  }
  return QuantizationConfig::FromJson(overrides.dump());
}

int Quantize(const Args& args) {
  if (args.positional.size() != 1 || args.Value("-o").empty() || args.Value("--calib").empty())
    return Report(Fail(StatusCode::kInvalidArgument, "quantize takes MODEL -o OUT --calib X.npy"));
  auto model = LoadModelFile(args.positional[0]);
  if (!model.ok()) return Report(model.status());
  if (model->graph.inputs.size() != 1)
    return Report(Fail(StatusCode::kInvalidArgument, "--calib feeds one input; the model has ", model->graph.inputs.size()));
  auto config = ConfigFromArgs(args);
  if (!config.ok()) return Report(config.status());
  auto samples = LoadNpyFile(args.Value("--calib"));
  if (!samples.ok()) return Report(samples.status());
  auto result = QuantizeStatic(*model, *config, {{model->graph.inputs[0], *samples}}, [&](int64_t done, int64_t total) {
    if (!args.json) std::cerr << "\rcalibrating " << done << "/" << total << std::flush;
    return true;
  });
  if (!args.json) std::cerr << "\n";
  if (!result.ok()) return Report(result.status());
  auto bytes = ExportModel(result->model);
  if (!bytes.ok()) return Report(bytes.status());
  Status written = WriteFile(args.Value("-o"), *bytes);
  if (!written.ok()) return Report(written);
  if (args.json) {
    nlohmann::json j = {{"output", args.Value("-o")}, {"config", nlohmann::json::parse(config->ToJson())},
                        {"quantized_nodes", result->quantized_nodes}};
    for (const auto& pass : result->passes) j["passes"][pass.pass] = pass.changes;
    for (const auto& [name, p] : result->activations) j["activations"][name] = {{"scale", p.scale}, {"zero_point", p.zero_point}};
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << "quantized " << result->quantized_nodes.size() << " nodes -> " << args.Value("-o") << "\n";
  }
  return 0;
}

// Metrics of one model, or of a quantized model against it, over a data set in batches.
int Eval(const Args& args) {
  if (args.positional.size() != 1 || args.Value("--data").empty())
    return Report(Fail(StatusCode::kInvalidArgument, "eval takes MODEL --data X.npy"));
  auto reference = LoadModelFile(args.positional[0]);
  if (!reference.ok()) return Report(reference.status());
  Result<Model> compared = Fail(StatusCode::kInvalidArgument, "");
  if (!args.Value("--compare").empty()) {
    compared = LoadModelFile(args.Value("--compare"));
    if (!compared.ok()) return Report(compared.status());
  }
  if (reference->graph.inputs.size() != 1)
    return Report(Fail(StatusCode::kInvalidArgument, "--data feeds one input; the model has ", reference->graph.inputs.size()));
  auto data = LoadNpyFile(args.Value("--data"));
  if (!data.ok()) return Report(data.status());
  Result<Tensor> labels = Fail(StatusCode::kInvalidArgument, "");
  if (!args.Value("--labels").empty()) {
    labels = LoadNpyFile(args.Value("--labels"));
    if (!labels.ok()) return Report(labels.status());
  }
  auto ref_session = Session::Create(*reference);
  if (!ref_session.ok()) return Report(ref_session.status());
  std::optional<Session> cmp_session;
  if (compared.ok()) {
    auto s = Session::Create(*compared);
    if (!s.ok()) return Report(s.status());
    cmp_session.emplace(s.value());
  }
  const std::string input = reference->graph.inputs[0];
  const int64_t n = data->dim(0), batch = std::max<int64_t>(1, std::atoll(args.Value("--batch", "100").c_str()));
  const size_t per_sample = data->nbytes() / static_cast<size_t>(std::max<int64_t>(n, 1));
  ClassificationMetrics classes;
  std::map<std::string, ErrorAccumulator> errors;
  bool classification = true;
  for (int64_t start = 0; start < n; start += batch) {
    const int64_t count = std::min(batch, n - start);
    Shape shape = data->shape();
    shape[0] = count;
    Tensor slice(data->dtype(), shape);
    std::memcpy(slice.raw(), data->raw() + start * per_sample, count * per_sample);
    auto ref_out = ref_session->Run({{input, slice}});
    if (!ref_out.ok()) return Report(ref_out.status());
    TensorMap cmp_out = *ref_out;
    if (cmp_session) {
      auto out = cmp_session->Run({{input, slice}});
      if (!out.ok()) return Report(out.status().WithContext(args.Value("--compare")));
      cmp_out = *out;
      for (const auto& [name, t] : *ref_out) {
        Status s = errors[name].Add(t, cmp_out.at(name));
        if (!s.ok()) return Report(s.WithContext("output '" + name + "'"));
      }
    }
    const Tensor& logits = ref_out->begin()->second;
    classification = classification && logits.rank() == 2 && logits.dtype() == DataType::kFloat;
    if (!classification) continue;
    Tensor label_slice;
    if (labels.ok()) {
      label_slice = Tensor(labels->dtype(), {count});
      std::memcpy(label_slice.raw(), labels->raw() + start * ElementSize(labels->dtype()), count * ElementSize(labels->dtype()));
    }
    Status s = AddClassificationBatch(classes, logits, cmp_out.at(ref_out->begin()->first), labels.ok() ? &label_slice : nullptr);
    if (!s.ok()) return Report(s);
  }
  auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  nlohmann::json j = {{"samples", n}};
  if (classification && labels.ok()) j["accuracy"] = classes.reference_accuracy();
  if (cmp_session) {
    nlohmann::json c;
    if (classification) {
      if (labels.ok()) c["accuracy"] = classes.test_accuracy();
      c["agreement"] = classes.agreement();
    }
    for (const auto& [name, acc] : errors) {
      ErrorMetrics m = acc.Result();
      c["outputs"][name] = {{"sqnr_db", number(m.sqnr_db)}, {"cosine", m.cosine}, {"mse", m.mse}, {"max_abs", m.max_abs}};
    }
    j["compare"] = c;
  }
  if (args.json) {
    std::cout << j.dump(2) << "\n";
  } else {
    if (j.contains("accuracy")) std::cout << "accuracy " << j["accuracy"].get<double>() * 100 << "%\n";
    if (cmp_session) {
      if (j["compare"].contains("accuracy")) std::cout << "compared accuracy " << j["compare"]["accuracy"].get<double>() * 100 << "%\n";
      if (j["compare"].contains("agreement")) std::cout << "top-1 agreement " << j["compare"]["agreement"].get<double>() * 100 << "%\n";
      for (const auto& [name, m] : j["compare"]["outputs"].items())
        std::cout << name << ": SQNR " << m["sqnr_db"] << " dB, cosine " << m["cosine"] << ", MSE " << m["mse"]
                  << ", max |error| " << m["max_abs"] << "\n";
    }
  }
  return 0;
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
  auto args = ParseArgs(argc, argv, {"--input", "--output-dir", "-o", "--calib", "--calib-limit", "--method", "--percentile",
                                     "--format", "--backend", "--activation-type", "--weight-type", "--exclude",
                                     "--op-types", "--config", "--data", "--labels", "--compare", "--batch"});
  if (!args.ok()) return Report(args.status());
  if (command == "info") return Info(*args);
  if (command == "run") return Run(*args);
  if (command == "conformance") return Conformance(*args);
  if (command == "roundtrip") return Roundtrip(*args);
  if (command == "quantize") return Quantize(*args);
  if (command == "eval") return Eval(*args);
  std::cerr << "qplay: unknown command '" << command << "'\n" << kUsage;
  return 2;
}
