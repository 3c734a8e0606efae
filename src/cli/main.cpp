// qplay command-line tool: the same core as the page, natively.
//   qplay info MODEL [--json]
//   qplay ops
//   qplay run MODEL --input NAME=FILE.npy ... [--output-dir DIR]
//   qplay conformance DIR... [--json]
//   qplay roundtrip MODEL -o OUT
//   qplay convert MODEL -o OUT --opset N
//   qplay quantize MODEL -o OUT --calib X.npy [options]   (see kUsage)
//   qplay eval MODEL --data X.npy [--labels Y.npy] [--compare QMODEL] [--json]
//   qplay analyze FLOAT_MODEL QUANT_MODEL --data X.npy [--labels Y.npy] [--json]
//   qplay qat MODEL -o OUT --train-data X.npy --train-labels Y.npy [options]   (see kUsage)
#include <unistd.h>

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

#include "analysis/evaluate.h"
#include "analysis/layer_error.h"
#include "analysis/profile.h"
#include "analysis/quality_check.h"
#include "analysis/report.h"
#include "analysis/sensitivity.h"
#include "cli/sample_args.h"
#include "data/npy.h"
#include "kernels/op_support.h"
#include "passes/float16_conversion.h"
#include "passes/opset_upgrade.h"
#include "data/sample_file.h"
#include "kernels/kernel.h"
#include "analysis/summary.h"
#include "quant/backend.h"
#include "quant/quantizer.h"
#include "runtime/memory_plan.h"
#include "runtime/sample_feeds.h"
#include "tools/conformance.h"
#include "train/qat.h"

namespace {

using namespace qplay;

constexpr const char* kUsage =
    "usage:\n"
    "  qplay info MODEL [--json]\n"
    "  qplay ops                                 (the ops and opset versions qplay runs, as a Markdown table)\n"
    "  qplay run MODEL --input NAME=FILE.npy ... [--output-dir DIR]\n"
    "  qplay conformance DIR... [--json]\n"
    "  qplay roundtrip MODEL -o OUT\n"
    "  qplay convert MODEL -o OUT --opset N        (carries the model to ai.onnx opset N, up to 22)\n"
    "  qplay convert MODEL -o OUT --float16 [--keep-io-types] [--keep-float32 OP_OR_NODE ...] [--opset N]\n"
    "        (float16 weights and compute; TopK, Resize, NonMaxSuppression and the like stay float32 between casts)\n"
    "  (convert, quantize and qat write OUT's tensors to OUT.data beside it with --external-data, or once OUT passes 2 GB)\n"
    "  qplay quantize MODEL -o OUT (--calib X.npy [--calib-limit N] | --mode dynamic | --mode weight-only [--bits 4|8] [--block-size N] [--accuracy-level 0|4])\n"
    "        [--method minmax|moving-average|percentile|entropy|mse] [--percentile P] [--per-channel]\n"
    "        [--backend onnxruntime|onnxruntime-qoperator|tflite|tensorrt|xnnpack] [--format qdq|qoperator] [--activation-type uint8|int8|uint16|int16] [--weight-type int8|uint8|int4|uint4]\n"
    "        [--symmetric-activations] [--symmetric-weights] [--reduce-range] [--cle] [--bias-correction] [--exclude NODE ...]\n"
    "        [--no-opset-upgrade] (refuse a model below the recipe's opset instead of converting it)\n"
    "        [--op-types T,...] [--config FILE.json]\n"
    "        [--max-accuracy-drop POINTS | --min-agreement PERCENT | --min-sqnr DB] [--fallback float|int16]\n"
    "        [--eval-data X.npy [--eval-labels Y.npy]] [--warn-sqnr DB] [--json]\n"
    "  qplay eval MODEL --data X.npy [--labels Y.npy] [--compare QMODEL] [--batch N] [--json]\n"
    "  qplay analyze FLOAT_MODEL QUANT_MODEL --data X.npy [--labels Y.npy] [--batch N] [--json]\n"
    "  qplay profile MODEL --data X.npy [--runs N] [--json]\n"
    "  qplay sensitivity MODEL --calib X.npy --data Y.npy [quantize options] [--json]\n"
    "  qplay qat MODEL -o OUT --train-data X.npy --train-labels Y.npy [--eval-data X --eval-labels Y] [--epochs N] [--lr F]\n"
    "        [--optimizer sgd|adam] [--batch-size N] [--weight-decay F] [--cosine] [--lsq] [--observer-steps N] [--seed N]\n"
    "        [quantize options] [--json]\n"
    "sample files (X.npy, Y.npy above) may also be .npz (the samples, and labels in an array named labels or y)\n"
    "  or .csv (a row per sample; labels in a column named label); --labels and the like are then optional\n"
    "models with several inputs: --calib NAME=FILE once per input (likewise --data, --eval-data), or one .npz whose\n"
    "  arrays are named by input; an array shaped exactly like its input (a state, a sample rate) is fed to every run\n"
    "every command: [--max-tensor-bytes N] (the largest tensor a model's sizes may ask for; 2 GiB by default)\n"
    "               [--max-loop-iterations N] (iterations a Loop may run; 1048576 by default)\n";

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
  int64_t Count(const std::string& option, const std::string& fallback) const {  // at least 1
    return std::max<int64_t>(1, std::atoll(Value(option, fallback).c_str()));
  }
};

const std::vector<std::string> kFlags = {"--per-channel", "--symmetric-activations", "--symmetric-weights", "--reduce-range", "--cle", "--bias-correction", "--no-opset-upgrade", "--cosine", "--lsq", "--external-data", "--float16", "--keep-io-types"};

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

// A model the quantizers or the converter made, exported as ONNX to `path`: its tensors in
// PATH.data beside it with --external-data, or once the model passes 2 GB.
Status WriteModel(const Args& args, const std::string& path, const Model& model) {
  const std::string data = std::filesystem::path(path).filename().string() + ".data";
  auto files = ExportModelFiles(model, args.Has("--external-data") ? ExternalData::kAlways : ExternalData::kAuto, data);
  if (!files.ok()) return files.status();
  if (!files->data_location.empty()) {
    QPLAY_RETURN_IF_ERROR(WriteFile((std::filesystem::path(path).parent_path() / data).string(), files->data));
    std::cout << "tensors written to " << data << " beside the model\n";
  }
  return WriteFile(path, files->model);
}

// Every op qplay runs, with the opset versions of its definitions (the table of docs/ops).
int Ops(const Args& args) {
  if (!args.positional.empty()) return Report(Fail(StatusCode::kInvalidArgument, "ops takes no arguments"));
  std::cout << SupportedOpsMarkdown();
  return 0;
}

int Info(const Args& args) {
  if (args.positional.size() != 1) return Report(Fail(StatusCode::kInvalidArgument, "info takes one MODEL"));
  auto model = LoadModelFile(args.positional[0]);
  if (!model.ok()) return Report(model.status());
  ModelSummary summary = Summarize(*model);
  // Runnable models also get their memory plan (one run on zero inputs, symbolic dims 1).
  std::optional<MemoryPlan> plan;
  if (summary.unsupported.empty()) {
    auto planned = PlanMemory(*model);
    if (planned.ok()) plan = std::move(planned.value());
  }
  if (!args.json) {
    std::cout << SummaryToText(summary);
    if (plan)
      std::cout << "memory (batch " << plan->batch << "): arena " << plan->arena_bytes << " bytes for "
                << plan->tensor_bytes << " bytes of intermediates\n";
    return 0;
  }
  nlohmann::json j = nlohmann::json::parse(SummaryToJson(summary));
  if (plan)
    j["memory"] = {{"batch", plan->batch}, {"arena_bytes", plan->arena_bytes}, {"tensor_bytes", plan->tensor_bytes},
                   {"tensors", plan->tensors.size()}};
  std::cout << j.dump(2) << "\n";
  return 0;
}

int Run(const Args& args) {
  if (args.positional.size() != 1) return Report(Fail(StatusCode::kInvalidArgument, "run takes one MODEL"));
  auto model = LoadModelFile(args.positional[0]);
  if (!model.ok()) return Report(model.status());
  auto session = Session::Create(*model, {.optimize = true});
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

// The samples given to `flag` (FILE or NAME=FILE, repeatable: cli/sample_args.h), and their
// labels: from `labels_flag`'s file when given, else those the samples' files hold, if any.
Result<SampleFile> SamplesFromArgs(const Args& args, const std::string& flag, const std::string& labels_flag = "") {
  auto given = args.options.find(flag);
  return LoadSampleArgs(given == args.options.end() ? std::vector<std::string>{} : given->second, flag,
                        labels_flag.empty() ? "" : args.Value(labels_flag));
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
  const std::string format = args.Value("--format");
  if (!format.empty() && format != "qdq" && format != "qoperator")
    return Fail(StatusCode::kInvalidArgument, "--format must be qdq or qoperator, got '", format, "'");
  if (!format.empty()) config.format = format == "qdq" ? QuantFormat::kQdq : QuantFormat::kQOperator;
  // Command-line options override the config file.
  nlohmann::json overrides = nlohmann::json::parse(config.ToJson());
  if (!args.Value("--method").empty()) overrides["calibrate_method"] = args.Value("--method");
  if (!args.Value("--activation-type").empty()) overrides["activation_type"] = args.Value("--activation-type");
  if (!args.Value("--weight-type").empty()) overrides["weight_type"] = args.Value("--weight-type");
  if (args.Has("--per-channel")) overrides["per_channel"] = true;
  if (args.Has("--reduce-range")) overrides["reduce_range"] = true;
  if (args.Has("--symmetric-activations")) overrides["extra_options"]["ActivationSymmetric"] = true;
  if (args.Has("--symmetric-weights")) overrides["extra_options"]["WeightSymmetric"] = true;
  const std::string mode = args.Value("--mode");
  if (!mode.empty() && mode != "static" && mode != "dynamic" && mode != "weight-only")
    return Fail(StatusCode::kInvalidArgument, "--mode must be static, dynamic or weight-only, got '", mode, "'");
  if (!mode.empty()) overrides["mode"] = mode == "weight-only" ? "weight_only" : mode;
  if (args.Has("--cle")) overrides["cross_layer_equalization"] = true;
  if (args.Has("--no-opset-upgrade")) overrides["upgrade_opset"] = false;
  if (args.Has("--bias-correction")) overrides["bias_correction"] = true;
  if (!args.Value("--bits").empty()) overrides["weight_bits"] = std::atoll(args.Value("--bits").c_str());
  if (!args.Value("--block-size").empty()) overrides["block_size"] = std::atoll(args.Value("--block-size").c_str());
  if (!args.Value("--accuracy-level").empty()) overrides["accuracy_level"] = std::atoll(args.Value("--accuracy-level").c_str());
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

// "label done/total" on one terminal line, when stderr is a terminal and stdout is not JSON.
ProgressFn TerminalProgress(const Args& args, const char* label) {
  if (args.json || !isatty(STDERR_FILENO)) return {};
  return [label](int64_t done, int64_t total) {
    std::cerr << "\r" << label << " " << done << "/" << total << (done == total ? "\n" : "") << std::flush;
    return true;
  };
}

bool WantsFallback(const Args& args) {
  for (const char* option : {"--max-accuracy-drop", "--min-agreement", "--min-sqnr", "--fallback"})
    if (!args.Value(option).empty()) return true;
  return false;
}

// Sets `out` to the option's number divided by `unit`, when the option is given.
Status NumberOption(const Args& args, const char* option, double& out, double unit = 1) {
  if (args.Value(option).empty()) return Status::Ok();
  char* end = nullptr;
  const std::string text = args.Value(option);
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !std::isfinite(value))
    return Fail(StatusCode::kInvalidArgument, option, " takes a number, got '", text, "'");
  out = value / unit;
  return Status::Ok();
}

// --max-tensor-bytes and --max-loop-iterations, for every command.
Status ApplyLimits(const Args& args) {
  struct Limit {
    const char* option;
    int64_t max;
    void (*set)(int64_t);
  };
  const Limit limits[] = {{"--max-tensor-bytes", int64_t{1} << 40, [](int64_t v) { SetMaxTensorBytes(static_cast<uint64_t>(v)); }},
                          {"--max-loop-iterations", int64_t{1} << 53, SetMaxLoopIterations}};
  for (const Limit& limit : limits) {
    if (args.Value(limit.option).empty()) continue;
    double value = 0;
    QPLAY_RETURN_IF_ERROR(NumberOption(args, limit.option, value));
    auto whole = WholeNumber(limit.option, value, 1, limit.max);
    if (!whole.ok()) return whole.status();
    limit.set(*whole);
  }
  return Status::Ok();
}

// --max-accuracy-drop POINTS, --min-agreement PERCENT, --min-sqnr DB, --fallback float|int16.
Result<FallbackTarget> FallbackTargetFromArgs(const Args& args) {
  FallbackTarget target;
  QPLAY_RETURN_IF_ERROR(NumberOption(args, "--max-accuracy-drop", target.max_accuracy_drop, 100));
  QPLAY_RETURN_IF_ERROR(NumberOption(args, "--min-agreement", target.min_agreement, 100));
  QPLAY_RETURN_IF_ERROR(NumberOption(args, "--min-sqnr", target.min_sqnr_db));
  const std::string keep = args.Value("--fallback", "float");
  if (keep != "float" && keep != "int16") return Fail(StatusCode::kInvalidArgument, "--fallback must be float or int16, got '", keep, "'");
  target.keep_as = keep == "float" ? FallbackPrecision::kFloat : FallbackPrecision::kInt16;
  return target;
}

// The accuracy-driven fallback of `quantize`: sensitivity on the evaluation samples, then the
// most sensitive nodes kept out of 8 bits until the target is met.
Result<nlohmann::json> QuantizeWithFallback(const Args& args, const Model& model, const QuantizationConfig& config,
                                            const SampleSet& calibration, QuantizationResult& out) {
  if (config.mode != QuantMode::kStatic) return Fail(StatusCode::kInvalidArgument, "the accuracy-driven fallback applies to static quantization");
  auto target = FallbackTargetFromArgs(args);
  if (!target.ok()) return target.status();
  QPLAY_RETURN_IF_ERROR(target->Validate(config));
  if (args.Value("--eval-data").empty())
    return Fail(StatusCode::kInvalidArgument, "the fallback measures accuracy on --eval-data X.npy (with --eval-labels Y.npy, or agreement with float)");
  auto data = SamplesFromArgs(args, "--eval-data", "--eval-labels");
  if (!data.ok()) return data.status();
  const auto& labels = data->labels;
  auto sensitivity = AnalyzeSensitivity(model, config, calibration, data->arrays, TerminalProgress(args, "sensitivity: node"));
  if (!sensitivity.ok()) return sensitivity.status();
  auto fallback = FallBackToTarget(model, config, data->arrays, labels ? &*labels : nullptr, *target, *sensitivity,
                                   TerminalProgress(args, "fallback: try"));
  if (!fallback.ok()) return fallback.status();
  if (!args.json && isatty(STDERR_FILENO)) std::cerr << "\n";
  out = fallback->quantized;
  return nlohmann::json{{"sensitivity", nlohmann::json::parse(sensitivity->ToJson())},
                        {"fallback", nlohmann::json::parse(fallback->ToJson())}};
}

std::string Percent(double fraction) {
  std::ostringstream text;
  text.precision(1);
  text << std::fixed << fraction * 100 << "%";
  return text.str();
}

void PrintFallback(const nlohmann::json& fallback) {
  std::cout << "kept " << fallback["kept_as"].get<std::string>() << ": " << fallback["kept_nodes"].dump() << " (target "
            << (fallback["met"].get<bool>() ? "met" : "not met") << ")\n";
  const auto& e = fallback["evaluation"];
  if (e.contains("accuracy")) std::cout << "accuracy " << Percent(e["compare"]["accuracy"]) << " (float " << Percent(e["accuracy"]) << "), ";
  if (e["compare"].contains("agreement")) std::cout << "top-1 agreement " << Percent(e["compare"]["agreement"]) << ", ";
  std::cout << "size " << fallback["size_bytes"]["float"] << " -> " << fallback["size_bytes"]["quantized"] << " bytes\n";
}

int QuantizeCommand(const Args& args) {
  auto config = ConfigFromArgs(args);
  if (!config.ok()) return Report(config.status());
  const bool dynamic = config->mode != QuantMode::kStatic;  // no calibration data
  QualityOptions quality;
  Status warn_sqnr = NumberOption(args, "--warn-sqnr", quality.min_sqnr_db);
  if (!warn_sqnr.ok()) return Report(warn_sqnr);
  if (args.positional.size() != 1 || args.Value("-o").empty() || (!dynamic && args.Value("--calib").empty()))
    return Report(Fail(StatusCode::kInvalidArgument, "quantize takes MODEL -o OUT --calib X.npy (or --mode dynamic / weight-only, without --calib)"));
  auto model = LoadModelFile(args.positional[0]);
  if (!model.ok()) return Report(model.status());
  SampleSet calibration;
  if (!dynamic) {
    auto samples = SamplesFromArgs(args, "--calib");
    if (!samples.ok()) return Report(samples.status());
    calibration = std::move(samples->arrays);
  }
  QuantizationResult result;
  nlohmann::json j;
  if (WantsFallback(args)) {
    auto fallback = QuantizeWithFallback(args, *model, *config, calibration, result);
    if (!fallback.ok()) return Report(fallback.status());
    j = *fallback;
  } else {
    auto quantized = Quantize(*model, *config, calibration, TerminalProgress(args, "calibrating"));
    if (!quantized.ok()) return Report(quantized.status());
    result = std::move(quantized.value());
  }
  Status written = WriteModel(args, args.Value("-o"), result.model);
  if (!written.ok()) return Report(written);
  if (!dynamic)
    for (auto& warning : CheckQuantizationQuality(*model, result, calibration, quality)) result.notes.push_back(std::move(warning));
  if (args.json) {
    j["output"] = args.Value("-o");
    j["config"] = nlohmann::json::parse(config->ToJson());
    j["quantized_nodes"] = result.quantized_nodes;
    for (const auto& pass : result.passes) j["passes"][pass.pass] = pass.changes;
    for (const auto& [name, p] : result.activations) j["activations"][name] = {{"scale", p.scale}, {"zero_point", p.zero_point}};
    j["notes"] = nlohmann::json::array();
    for (const auto& note : result.notes)
      j["notes"].push_back({{"kind", NoteKindName(note.kind)}, {"tensor", note.tensor}, {"node", note.node}, {"message", note.message}});
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  if (j.contains("fallback")) PrintFallback(j["fallback"]);
  for (const auto& pass : result.passes)
    if (pass.pass == kOpsetUpgradePass)
      for (const auto& change : pass.changes) std::cout << "opset upgrade: " << change << "\n";
  for (const auto& note : result.notes)
    std::cout << NoteKindName(note.kind) << ": " << note.tensor << (note.node.empty() ? "" : " (node " + note.node + ")") << ": " << note.message << "\n";
  std::cout << "quantized " << result.quantized_nodes.size() << " nodes -> " << args.Value("-o") << "\n";
  return 0;
}

// Metrics of one model, or of a quantized model against it, over a data set in batches.
int Eval(const Args& args) {
  if (args.positional.size() != 1 || args.Value("--data").empty())
    return Report(Fail(StatusCode::kInvalidArgument, "eval takes MODEL --data X.npy"));
  auto reference = LoadModelFile(args.positional[0]);
  if (!reference.ok()) return Report(reference.status());
  std::optional<Model> compared;
  if (!args.Value("--compare").empty()) {
    auto loaded = LoadModelFile(args.Value("--compare"));
    if (!loaded.ok()) return Report(loaded.status());
    compared = std::move(loaded.value());
  }
  auto data = SamplesFromArgs(args, "--data", "--labels");
  if (!data.ok()) return Report(data.status());
  const auto& labels = data->labels;
  auto report = Evaluate(*reference, compared ? &*compared : nullptr, data->arrays, labels ? &*labels : nullptr,
                         args.Count("--batch", "100"));
  if (!report.ok()) return Report(report.status());
  if (args.json) {
    std::cout << report->ToJson() << "\n";
    return 0;
  }
  const ClassificationMetrics& c = report->classes;
  if (report->classification && report->has_labels) std::cout << "accuracy " << c.reference_accuracy() * 100 << "%\n";
  if (report->has_comparison) {
    if (report->classification && report->has_labels) std::cout << "compared accuracy " << c.test_accuracy() * 100 << "%\n";
    if (report->classification) std::cout << "top-1 agreement " << c.agreement() * 100 << "%\n";
    for (const auto& [name, m] : report->outputs)
      std::cout << name << ": SQNR " << m.sqnr_db << " dB, cosine " << m.cosine << ", MSE " << m.mse << ", max |error| "
                << m.max_abs << "\n";
  }
  return 0;
}

// The analyzer's report on FLOAT and its quantized QUANT over --data (analysis/report.h).
int Analyze(const Args& args) {
  if (args.positional.size() != 2 || args.Value("--data").empty())
    return Report(Fail(StatusCode::kInvalidArgument, "analyze takes FLOAT_MODEL QUANT_MODEL --data X.npy"));
  auto reference = LoadModelFile(args.positional[0]);
  if (!reference.ok()) return Report(reference.status());
  auto quantized = LoadModelFile(args.positional[1]);
  if (!quantized.ok()) return Report(quantized.status());
  auto data = SamplesFromArgs(args, "--data", "--labels");
  if (!data.ok()) return Report(data.status());
  const auto& labels = data->labels;
  AnalysisOptions options;
  options.batch_size = args.Count("--batch", "50");
  auto report = AnalyzeQuantization(*reference, *quantized, data->arrays, labels ? &*labels : nullptr, options);
  if (!report.ok()) return Report(report.status());
  if (args.json) {
    std::cout << report->ToJson() << "\n";
    return 0;
  }
  const EvaluationReport& e = report->evaluation;
  if (e.classification && e.has_labels)
    std::cout << "accuracy: float " << Percent(e.classes.reference_accuracy()) << ", quantized " << Percent(e.classes.test_accuracy()) << "\n";
  if (e.classification) std::cout << "top-1 agreement " << Percent(e.classes.agreement()) << "\n";
  std::cout << "size: float " << report->float_bytes << " bytes, quantized " << report->quantized_bytes << " bytes\n"
            << "time (batch 1): float " << report->float_profile.total_ms << " ms, quantized " << report->quantized_profile.total_ms << " ms\n";
  for (const auto& [title, list] : {std::pair{"activations", &report->layers.activations}, std::pair{"weights", &report->layers.weights}}) {
    std::cout << title << ", worst first (SQNR dB, cosine, tensor, node):\n";
    for (const TensorError& t : *list)
      std::cout << "  " << t.error.sqnr_db << "  " << t.error.cosine << "  " << t.tensor << "  " << t.node << " (" << t.op_type << ")\n";
  }
  return 0;
}

int Profile(const Args& args) {
  if (args.positional.size() != 1 || args.Value("--data").empty())
    return Report(Fail(StatusCode::kInvalidArgument, "profile takes MODEL --data X.npy"));
  auto model = LoadModelFile(args.positional[0]);
  if (!model.ok()) return Report(model.status());
  auto data = SamplesFromArgs(args, "--data");
  if (!data.ok()) return Report(data.status());
  auto feeds = SampleFeeds::Bind(model->graph, data->arrays, "--data");
  if (!feeds.ok()) return Report(feeds.status());
  auto first = feeds->FirstRun();
  if (!first.ok()) return Report(first.status());
  auto profile = ProfileModel(*model, *first, static_cast<int>(args.Count("--runs", "5")));
  if (!profile.ok()) return Report(profile.status());
  if (args.json) {
    std::cout << profile->ToJson() << "\n";
    return 0;
  }
  std::cout << "total " << profile->total_ms << " ms, parameters " << profile->parameter_bytes << " bytes\n";
  for (const auto& [op, p] : profile->op_types)
    std::cout << "  " << op << " x" << p.count << ": " << p.ms << " ms, " << p.macs << " MACs, " << p.bytes << " bytes\n";
  return 0;
}

// Sensitivity per quantized node: the model with only that node quantized, and with only it float.
int Sensitivity(const Args& args) {
  if (args.positional.size() != 1 || args.Value("--calib").empty() || args.Value("--data").empty())
    return Report(Fail(StatusCode::kInvalidArgument, "sensitivity takes MODEL --calib X.npy --data Y.npy"));
  auto model = LoadModelFile(args.positional[0]);
  if (!model.ok()) return Report(model.status());
  auto config = ConfigFromArgs(args);
  if (!config.ok()) return Report(config.status());
  auto calibration = SamplesFromArgs(args, "--calib");
  if (!calibration.ok()) return Report(calibration.status());
  auto data = SamplesFromArgs(args, "--data");
  if (!data.ok()) return Report(data.status());
  auto report = AnalyzeSensitivity(*model, *config, calibration->arrays, data->arrays);
  if (!report.ok()) return Report(report.status());
  if (args.json) {
    std::cout << report->ToJson() << "\n";
    return 0;
  }
  std::cout << "all quantized: SQNR " << report->all.sqnr_db << " dB; most sensitive first (SQNR alone, SQNR with it float):\n";
  for (const auto& n : report->nodes)
    std::cout << "  " << n.alone.sqnr_db << "  " << n.all_but.sqnr_db << "  " << n.node << " (" << n.op_type << ")\n";
  return 0;
}

// Quantization-aware training from a static recipe; prints each epoch's loss and, with
// --eval-data and --eval-labels, the fake-quantized model's accuracy; writes the QDQ model of the best
// epoch (highest accuracy, or lowest loss without evaluation samples) to -o.
int Qat(const Args& args) {
  if (args.positional.size() != 1 || args.Value("-o").empty() || args.Value("--train-data").empty())
    return Report(Fail(StatusCode::kInvalidArgument, "qat takes MODEL -o OUT --train-data X.npy --train-labels Y.npy"));
  auto model = LoadModelFile(args.positional[0]);
  if (!model.ok()) return Report(model.status());
  auto config = ConfigFromArgs(args);
  if (!config.ok()) return Report(config.status());
  auto train = SamplesFromArgs(args, "--train-data", "--train-labels");
  if (!train.ok()) return Report(train.status());
  if (!train->labels) return Report(Fail(StatusCode::kInvalidArgument, "qat needs labels: --train-labels Y.npy, or a --train-data file that holds them"));
  auto train_x = LoneArray(*train, "--train-data");
  if (!train_x.ok()) return Report(train_x.status());
  std::optional<Tensor> eval_x, eval_y;
  if (!args.Value("--eval-data").empty()) {
    auto eval = SamplesFromArgs(args, "--eval-data", "--eval-labels");
    if (!eval.ok()) return Report(eval.status());
    if (!eval->labels) return Report(Fail(StatusCode::kInvalidArgument, "--eval-data needs labels: --eval-labels Y.npy, or a file that holds them"));
    auto lone = LoneArray(*eval, "--eval-data");
    if (!lone.ok()) return Report(lone.status());
    eval_x = std::move(*lone);
    eval_y = std::move(eval->labels);
  }
  QatOptions options;
  options.epochs = args.Count("--epochs", "3");
  options.batch_size = args.Count("--batch-size", "32");
  options.learning_rate = std::atof(args.Value("--lr", "1e-4").c_str());
  options.optimizer = args.Value("--optimizer", "sgd");
  options.weight_decay = std::atof(args.Value("--weight-decay", "0").c_str());
  options.cosine_schedule = args.Has("--cosine");
  options.lsq = args.Has("--lsq");
  options.observer_steps = std::atoll(args.Value("--observer-steps", "0").c_str());
  options.seed = static_cast<uint32_t>(std::atoll(args.Value("--seed", "0").c_str()));
  nlohmann::json epochs = nlohmann::json::array();
  auto result = QuantizationAwareTraining(*model, *config, *train_x, *train->labels, eval_x ? &*eval_x : nullptr, eval_y ? &*eval_y : nullptr, options,
                                          [&](const EpochReport& e) {
                                            nlohmann::json j = {{"epoch", e.epoch}, {"loss", e.loss}};
                                            if (e.accuracy) j["accuracy"] = *e.accuracy;
                                            epochs.push_back(j);
                                            if (!args.json)
                                              std::cout << "epoch " << e.epoch << ": loss " << e.loss
                                                        << (e.accuracy ? ", accuracy " + std::to_string(*e.accuracy) : std::string()) << std::endl;
                                            return true;
                                          });
  if (!result.ok()) return Report(result.status());
  Status written = WriteModel(args, args.Value("-o"), result->model);
  if (!written.ok()) return Report(written);
  if (args.json) std::cout << nlohmann::json{{"epochs", epochs}, {"output", args.Value("-o")}}.dump(2) << "\n";
  else std::cout << "wrote " << args.Value("-o") << "\n";
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

// The model carried to a newer ai.onnx opset by the core's converter, rewritten in float16, or both.
int Convert(const Args& args) {
  const bool float16 = args.Has("--float16");
  if (args.positional.size() != 1 || args.Value("-o").empty() || (args.Value("--opset").empty() && !float16))
    return Report(Fail(StatusCode::kInvalidArgument, "convert takes MODEL -o OUT and --opset N, --float16 or both"));
  auto model = LoadModelFile(args.positional[0]);
  if (!model.ok()) return Report(model.status());
  if (!args.Value("--opset").empty()) {
    auto upgrade = UpgradeOpset(*model, args.Count("--opset", "0"), float16);
    if (!upgrade.ok()) return Report(upgrade.status());
    std::cout << "opset " << upgrade->from << " -> " << upgrade->to << ": " << upgrade->adapted_nodes
              << " nodes rewritten by adapters\n";
  }
  if (float16) {
    Float16Options options;
    options.keep_io_types = args.Has("--keep-io-types");
    if (auto kept = args.options.find("--keep-float32"); kept != args.options.end())
      options.keep_float32.insert(kept->second.begin(), kept->second.end());
    const Float16Report report = ConvertToFloat16(*model, options);
    std::cout << "float16: " << report.float16_weights << " weights in float16, " << report.float32_nodes
              << " nodes kept in float32, " << report.casts << " casts added\n";
  }
  Status written = WriteModel(args, args.Value("-o"), *model);
  return written.ok() ? 0 : Report(written);
}

}  // namespace

int Dispatch(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string command = argv[1];
  auto args = ParseArgs(argc, argv, {"--input", "--output-dir", "-o", "--opset", "--calib", "--calib-limit", "--method", "--percentile", "--bits", "--block-size", "--accuracy-level",
                                     "--format", "--backend", "--activation-type", "--weight-type", "--exclude",
                                     "--op-types", "--config", "--data", "--labels", "--compare", "--batch", "--runs", "--max-accuracy-drop", "--min-agreement",
                                     "--min-sqnr", "--warn-sqnr", "--max-tensor-bytes", "--max-loop-iterations", "--fallback", "--mode",
                                     "--train-data", "--train-labels", "--eval-data", "--eval-labels", "--epochs", "--lr", "--optimizer",
                                     "--batch-size", "--weight-decay", "--seed", "--observer-steps", "--keep-float32"});
  if (!args.ok()) return Report(args.status());
  Status limits = ApplyLimits(*args);
  if (!limits.ok()) return Report(limits);
  if (command == "info") return Info(*args);
  if (command == "ops") return Ops(*args);
  if (command == "run") return Run(*args);
  if (command == "conformance") return Conformance(*args);
  if (command == "roundtrip") return Roundtrip(*args);
  if (command == "convert") return Convert(*args);
  if (command == "quantize") return QuantizeCommand(*args);
  if (command == "eval") return Eval(*args);
  if (command == "analyze") return Analyze(*args);
  if (command == "profile") return Profile(*args);
  if (command == "sensitivity") return Sensitivity(*args);
  if (command == "qat") return Qat(*args);
  std::cerr << "qplay: unknown command '" << command << "'\n" << kUsage;
  return 2;
}

// Errors travel as Status; a standard-library exception that escapes anyway (an allocation
// refused by the system, say) is reported by name instead of aborting.
int main(int argc, char** argv) {
  try {
    return Dispatch(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "qplay: " << e.what() << "\n";
    return 1;
  }
}
