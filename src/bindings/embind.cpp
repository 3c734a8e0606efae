// The JavaScript API of the wasm module; the only file that includes <emscripten/bind.h>.
// Its functions, methods and result shapes are declared once, in web/src/engine/qplay-module.ts;
// wasm-tests/wasm/api-types.test.mjs fails when this file and that declaration drift apart.
#include <emscripten/bind.h>
#include <emscripten/em_js.h>
#include <emscripten/emscripten.h>
#include <emscripten/val.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>

#include "analysis/evaluate.h"
#include "analysis/layer_error.h"
#include "analysis/metrics_json.h"
#include "analysis/profile.h"
#include "analysis/quality_check.h"
#include "analysis/range_choices.h"
#include "analysis/report.h"
#include "analysis/sensitivity.h"
#include "core/thread_pool.h"
#include "data/npy.h"
#include "data/sample_file.h"
#include "kernels/op_support.h"
#include "passes/float16_conversion.h"
#include "passes/opset_upgrade.h"
#include "kernels/kernel.h"
#include "analysis/summary.h"
#include "kernels/simd/relaxed_dot_mode.h"
#include "kernels/simd/throughput.h"
#include "quant/backend.h"
#include "quant/layer_plan.h"
#include "quant/qdq_writer.h"
#include "quant/quantizer.h"
#include "runtime/sample_feeds.h"
#include "train/qat.h"

using emscripten::val;

// Reads `length` bytes at `offset` through reader.read into `out`: the byte count it gave, or -1
// when it threw (its message kept in Module.qplayReadError), so no JavaScript exception unwinds
// the C++ frames that asked.
EM_JS(double, qplay_read_js, (emscripten::EM_VAL reader, double offset, double length, uint8_t* out), {
  try {
    const bytes = Emval.toValue(reader).read(offset, length);
    if (!(bytes instanceof Uint8Array)) throw new Error('read() must return a Uint8Array');
    if (bytes.length === length) HEAPU8.set(bytes, out);
    return bytes.length;
  } catch (e) {
    Module.qplayReadError = String(e && e.message || e);
    return -1;
  }
});

namespace qplay {
namespace {

// JS typed array constructor for each element type (bool travels as Uint8Array; int4 and uint4
// one element per byte, as qplay holds them).
const char* TypedArrayName(DataType type) {
  switch (type) {
    case DataType::kFloat: return "Float32Array";
    case DataType::kDouble: return "Float64Array";
    case DataType::kInt8: case DataType::kInt4: return "Int8Array";
    case DataType::kUint8: case DataType::kBool: case DataType::kUint4: return "Uint8Array";
    case DataType::kInt16: return "Int16Array";
    case DataType::kUint16: return "Uint16Array";
    case DataType::kInt32: return "Int32Array";
    case DataType::kUint32: return "Uint32Array";
    case DataType::kInt64: return "BigInt64Array";
    case DataType::kUint64: return "BigUint64Array";
    default: return nullptr;
  }
}

DataType TypeFromJs(const val& tensor) {
  if (tensor["type"].isString()) {
    const std::string name = tensor["type"].as<std::string>();
    for (DataType t : {DataType::kFloat, DataType::kDouble, DataType::kInt8, DataType::kUint8, DataType::kInt16,
                       DataType::kUint16, DataType::kInt32, DataType::kUint32, DataType::kInt64, DataType::kUint64,
                       DataType::kBool, DataType::kInt4, DataType::kUint4})
      if (DataTypeName(t) == name) return t;
    return DataType::kUndefined;
  }
  const std::string ctor = tensor["data"]["constructor"]["name"].as<std::string>();
  for (DataType t : {DataType::kFloat, DataType::kDouble, DataType::kInt8, DataType::kUint8, DataType::kInt16,
                     DataType::kUint16, DataType::kInt32, DataType::kUint32, DataType::kInt64, DataType::kUint64})
    if (ctor == TypedArrayName(t)) return t;
  return DataType::kUndefined;
}

bool IsObject(const val& v) { return !v.isNull() && v.typeOf().as<std::string>() == "object"; }

// A view of wasm memory as bytes; valid until memory grows, so use it at once.
val ByteView(const uint8_t* data, size_t size) { return val(emscripten::typed_memory_view(size, data)); }

Result<Tensor> TensorFromJs(const std::string& name, const val& js) {
  if (!IsObject(js) || js["data"].isUndefined() || js["dims"].isUndefined())
    return Fail(StatusCode::kInvalidArgument, "input '", name, "' must be { data: TypedArray, dims: number[] }");
  const DataType type = TypeFromJs(js);
  if (type == DataType::kUndefined)
    return Fail(StatusCode::kInvalidArgument, "input '", name, "' has data of an unsupported type");
  Shape shape;
  const unsigned rank = js["dims"]["length"].as<unsigned>();
  for (unsigned i = 0; i < rank; ++i) {
    const double d = js["dims"][i].as<double>();
    if (d < 0 || d != static_cast<int64_t>(d)) return Fail(StatusCode::kInvalidArgument, "input '", name, "' has a bad dim ", d);
    shape.push_back(static_cast<int64_t>(d));
  }
  const std::optional<int64_t> count = CheckedNumElements(shape);
  const size_t given = js["data"]["byteLength"].as<size_t>();
  if (!count || given != static_cast<uint64_t>(*count) * ElementSize(type))
    return Fail(StatusCode::kInvalidArgument, "input '", name, "' has ", given / ElementSize(type), " values but dims ",
                ShapeToString(shape), " need ", count ? std::to_string(*count) : std::string("more"));
  auto tensor = Tensor::Allocate(type, shape, "input '" + name + "'");
  if (!tensor.ok()) return tensor;
  val bytes = val::global("Uint8Array").new_(js["data"]["buffer"], js["data"]["byteOffset"], given);
  ByteView(tensor->raw(), tensor->nbytes()).call<void>("set", bytes);
  return tensor;
}

val TensorToJs(const Tensor& tensor) {
  val copy = ByteView(tensor.raw(), tensor.nbytes()).call<val>("slice");
  val out = val::object();
  out.set("data", val::global(TypedArrayName(tensor.dtype())).new_(copy["buffer"]));
  val dims = val::array();
  for (int64_t d : tensor.shape()) dims.call<void>("push", static_cast<double>(d));
  out.set("dims", dims);
  out.set("type", DataTypeName(tensor.dtype()));
  return out;
}

// { name: { data, dims } } -> TensorMap, or the first bad entry's error.
Result<TensorMap> TensorsFromJs(const val& object) {
  if (!IsObject(object)) return Fail(StatusCode::kInvalidArgument, "expected an object of tensors { name: { data, dims } }");
  TensorMap tensors;
  val names = val::global("Object").call<val>("keys", object);
  const unsigned count = names["length"].as<unsigned>();
  for (unsigned i = 0; i < count; ++i) {
    const std::string name = names[i].as<std::string>();
    auto tensor = TensorFromJs(name, object[name]);
    if (!tensor.ok()) return tensor.status();
    tensors[name] = tensor.value();
  }
  return tensors;
}

val JsonToJs(const std::string& json) { return val::global("JSON").call<val>("parse", json); }

// options[key] when it is a number, else `fallback`.
double NumberOption(const val& options, const char* key, double fallback) {
  return IsObject(options) && options[key].isNumber() ? options[key].as<double>() : fallback;
}

// options[key] as a whole number in [min, max] (WholeNumber), the fallback when absent.
Result<int64_t> WholeOption(const val& options, const char* key, int64_t fallback, int64_t min, int64_t max) {
  return WholeNumber(key, NumberOption(options, key, static_cast<double>(fallback)), min, max);
}

bool FlagOption(const val& options, const char* key) { return IsObject(options) && options[key].isTrue(); }

// A sample file read through a JavaScript reader { name, size, read(offset, length) ->
// Uint8Array }: in the page's worker a File read with FileReaderSync, in Node a file descriptor.
class JsBytes : public ByteSource {
 public:
  JsBytes(val reader, uint64_t size, std::string name) : reader_(std::move(reader)), size_(size), name_(std::move(name)) {}
  uint64_t size() const override { return size_; }
  const std::string& name() const override { return name_; }
  Status Read(uint64_t offset, uint64_t length, uint8_t* out) const override {
    if (offset > size_ || length > size_ - offset)
      return Fail(StatusCode::kInvalidArgument, name_, ": bytes ", offset, " to ", offset + length, " were asked for, but it holds ", size_);
    const double got = qplay_read_js(reader_.as_handle(), static_cast<double>(offset), static_cast<double>(length), out);
    if (got < 0)
      return Fail(StatusCode::kInvalidArgument, "reading ", name_, " failed: ", val::module_property("qplayReadError").as<std::string>());
    if (got != static_cast<double>(length))
      return Fail(StatusCode::kInvalidArgument, "reading ", name_, ": ", length, " bytes at ", offset, " were asked for, read() gave ", got);
    return Status::Ok();
  }

 private:
  val reader_;
  uint64_t size_;
  std::string name_;
};

bool IsReader(const val& js) { return IsObject(js) && js["read"].typeOf().as<std::string>() == "function"; }

// The sample file behind a reader, its arrays read as they are used; with reader.rows
// { start, count }, only those samples of each array.
Result<SampleFile> OpenSampleFileJs(const val& reader) {
  if (!reader["name"].isString() || !reader["size"].isNumber())
    return Fail(StatusCode::kInvalidArgument, "a sample file reader needs a name (string), a size (number) and read(offset, length)");
  const double size = reader["size"].as<double>();
  if (!(size >= 0 && size <= 9007199254740992.0)) return Fail(StatusCode::kInvalidArgument, "a sample file's size must be a whole number of bytes");
  const std::string name = reader["name"].as<std::string>();
  auto file = OpenSampleFile(std::make_shared<JsBytes>(reader, static_cast<uint64_t>(size), name));
  if (!file.ok() || !IsObject(reader["rows"])) return file;
  auto start = WholeOption(reader["rows"], "start", 0, 0, INT64_MAX), count = WholeOption(reader["rows"], "count", 0, 0, INT64_MAX);
  if (!start.ok()) return start.status();
  if (!count.ok()) return count.status();
  for (auto& [array_name, array] : file->arrays) {
    const int64_t rows = array.rank() ? array.shape()[0] : 0;
    if (*start > rows || *count > rows - *start)
      return Fail(StatusCode::kInvalidArgument, name, ": samples ", *start, " to ", *start + *count, " were asked for, but it holds ", rows);
    array = array.RowsView(*start, *count);
  }
  return file;
}

// Samples for a model's inputs: one tensor { data, dims } for a single-input model, or
// { input: { data, dims } } by input name (runtime/sample_feeds.h says how each is fed). A
// sample file reader (JsBytes) may stand for the whole set or for one input's array; its
// arrays are then read a run at a time.
Result<SampleSet> SamplesFromJs(const std::string& what, const val& js) {
  if (IsReader(js)) {
    auto file = OpenSampleFileJs(js);
    if (!file.ok()) return file.status();
    auto combined = CombineSampleFiles({{"", std::move(*file), what}});
    if (!combined.ok()) return combined.status();
    return std::move(combined->arrays);
  }
  if (IsObject(js) && !js["dims"].isUndefined()) {
    auto tensor = TensorFromJs(what, js);
    if (!tensor.ok()) return tensor.status();
    return SampleSet{{"", tensor.value()}};
  }
  if (!IsObject(js)) return Fail(StatusCode::kInvalidArgument, what, ": expected a tensor, an object of tensors by input, or a sample file reader");
  std::vector<GivenSampleFile> files;
  val tensors = val::object();
  val names = val::global("Object").call<val>("keys", js);
  for (unsigned i = 0; i < names["length"].as<unsigned>(); ++i) {
    const std::string name = names[i].as<std::string>();
    if (!IsReader(js[name])) {
      tensors.set(name, js[name]);
      continue;
    }
    auto file = OpenSampleFileJs(js[name]);
    if (!file.ok()) return file.status();
    files.push_back({name, std::move(*file), what + " for input '" + name + "'"});
  }
  auto in_memory = TensorsFromJs(tensors);
  if (!in_memory.ok()) return in_memory.status();
  auto combined = CombineSampleFiles(std::move(files));
  if (!combined.ok()) return combined.status();
  SampleSet samples = std::move(combined->arrays);
  for (auto& [name, tensor] : *in_memory) samples[name] = std::move(tensor);
  return samples;
}

// Throws a JS Error. Call only when no C++ object with a destructor is alive in the caller
// (a JS throw unwinds wasm frames without running destructors).
[[noreturn]] void ThrowJsError(const char* message) { val::global("Error").new_(val(message)).throw_(); }

// Every entry point: `body` (returning Result<T>) runs in a scope of its own, so all it made is
// destroyed before its error, if any, is thrown to JavaScript; a C++ exception it lets escape
// (the module is built with -fwasm-exceptions) becomes that error too.
template <typename T, typename Body>
T OrThrow(Body body) {
  static std::string error;
  std::optional<T> out;
  try {
    Result<T> result = body();
    if (result.ok()) out = std::move(result.value());
    else error = result.status().message();
  } catch (const std::exception& e) {  // an allocation refused outside a kernel (AllocationRefused, bad_alloc)
    error = e.what();
  }
  if (!out) ThrowJsError(error.c_str());
  return std::move(*out);
}

Result<QuantizationConfig> ConfigFromJs(const val& config_js) {
  return QuantizationConfig::FromJson(config_js.isString() ? config_js.as<std::string>()
                                                           : val::global("JSON").call<std::string>("stringify", config_js));
}

// { maxAccuracyDrop (points), minAgreement (0..1), minSqnrDb, keepAs: 'float' | 'int16' }.
Result<FallbackTarget> FallbackTargetFromJs(const val& target_js) {
  FallbackTarget target;
  target.max_accuracy_drop = NumberOption(target_js, "maxAccuracyDrop", std::nan("")) / 100;
  target.min_agreement = NumberOption(target_js, "minAgreement", std::nan(""));
  target.min_sqnr_db = NumberOption(target_js, "minSqnrDb", std::nan(""));
  const val keep_as = target_js["keepAs"];
  if (keep_as.isUndefined()) return target;
  const std::string name = keep_as.isString() ? keep_as.as<std::string>() : "a " + keep_as.typeOf().as<std::string>();
  if (name != "float" && name != "int16") return Fail(StatusCode::kInvalidArgument, "keepAs must be 'float' or 'int16', got '", name, "'");
  if (name == "int16") target.keep_as = FallbackPrecision::kInt16;
  return target;
}

// A JS callback (done, total) => false-to-cancel, or nothing when `progress` is not a function.
ProgressFn ProgressFromJs(const val& progress) {
  if (progress.typeOf().as<std::string>() != "function") return {};
  return [&progress](int64_t done, int64_t total) {
    return !progress(static_cast<double>(done), static_cast<double>(total)).strictlyEquals(val(false));
  };
}

class WasmQatSession;

class WasmModel {
 public:
  // `edited`: the IR no longer matches the loaded file (e.g. a quantized model), so save()
  // writes the IR instead of the original bytes.
  explicit WasmModel(Model model, bool edited = false) : model_(std::make_unique<Model>(std::move(model))), edited_(edited) {}

  val Info() const { return JsonToJs(SummaryToJson(Summarize(*model_))); }

  // What quantizing this model adjusted or found suspect: [{ kind, tensor, node, message }] (empty
  // for a model that was loaded, not quantized here).
  val Notes() const {
    val notes = val::array();
    for (const auto& note : notes_) {
      val entry = val::object();
      entry.set("kind", std::string(NoteKindName(note.kind)));
      entry.set("tensor", note.tensor);
      entry.set("node", note.node);
      entry.set("message", note.message);
      notes.call<void>("push", entry);
    }
    return notes;
  }

  val Run(const val& inputs) { return RunWithProgress(inputs, val::null()); }

  // progress(done, total) hears the nodes run; returning false cancels the run.
  val RunWithProgress(const val& inputs, const val& progress) {
    return OrThrow<val>([&]() -> Result<val> {
      if (!session_) {
        auto session = Session::Create(*model_, {.optimize = true});
        if (!session.ok()) return session.status();
        session_.emplace(session.value());
      }
      auto tensors = TensorsFromJs(inputs);
      if (!tensors.ok()) return tensors.status();
      auto outputs = session_->Run(*tensors, {}, ProgressFromJs(progress));
      if (!outputs.ok()) return outputs.status();
      val out = val::object();
      for (const auto& [name, tensor] : *outputs) out.set(name, TensorToJs(tensor));
      return out;
    });
  }

  // config: QuantizationConfig as an object or JSON text; calibration: samples (SamplesFromJs);
  // progress(done, total) may return false to cancel.
  WasmModel* Quantize(const val& config_js, const val& calibration, const val& progress) {
    return OrThrow<WasmModel*>([&]() -> Result<WasmModel*> {
      auto config = ConfigFromJs(config_js);
      if (!config.ok()) return config.status();
      SampleSet samples;
      if (config->mode == QuantMode::kStatic) {
        auto given = SamplesFromJs("calibration", calibration);
        if (!given.ok()) return given.status();
        samples = std::move(given.value());
      }
      auto result = ::qplay::Quantize(*model_, *config, samples, ProgressFromJs(progress));
      if (!result.ok()) return result.status();
      if (config->mode == QuantMode::kStatic)
        for (auto& warning : CheckQuantizationQuality(*model_, *result, samples)) result->notes.push_back(std::move(warning));
      auto* quantized = new WasmModel(std::move(result->model), true);
      quantized->notes_ = std::move(result->notes);
      return quantized;
    });
  }

  // data: samples (SamplesFromJs); labels: int64/int32 tensor or null;
  // compared: another Model or null; progress as for quantize. Returns the report as a plain object.
  val Evaluate(const val& data_js, const val& labels_js, const val& compared_js, const val& progress) {
    return OrThrow<val>([&]() -> Result<val> {
      auto data = SamplesFromJs("data", data_js);
      if (!data.ok()) return data.status();
      std::optional<Tensor> labels;
      if (!labels_js.isNull() && !labels_js.isUndefined()) {
        auto parsed = TensorFromJs("labels", labels_js);
        if (!parsed.ok()) return parsed.status();
        labels = parsed.value();
      }
      const Model* compared = compared_js.isNull() || compared_js.isUndefined() ? nullptr : ModelOf(compared_js);
      auto report = qplay::Evaluate(*model_, compared, *data, labels ? &*labels : nullptr, 100, ProgressFromJs(progress));
      if (!report.ok()) return report.status();
      return JsonToJs(report->ToJson());
    });
  }

  // data: samples (SamplesFromJs); quantized: a Model (QDQ). Returns the per-layer
  // error report (activations and weights, worst first) as a plain object.
  val Analyze(const val& data_js, const val& quantized_js, const val& progress) {
    return OrThrow<val>([&]() -> Result<val> {
      auto data = SamplesFromJs("data", data_js);
      if (!data.ok()) return data.status();
      if (quantized_js.isNull() || quantized_js.isUndefined())
        return Fail(StatusCode::kInvalidArgument, "analyze needs the quantized model to compare");
      auto report = AnalyzeLayerError(*model_, *ModelOf(quantized_js), *data, 50, ProgressFromJs(progress));
      if (!report.ok()) return report.status();
      return JsonToJs(report->ToJson());
    });
  }

  // data: samples (SamplesFromJs); the first run's feeds are profiled. Returns the per-op profile (median of 5 runs).
  val Profile(const val& data) {
    return OrThrow<val>([&]() -> Result<val> {
      auto samples = SamplesFromJs("data", data);
      if (!samples.ok()) return samples.status();
      auto feeds = SampleFeeds::Bind(model_->graph, *samples, "data");
      if (!feeds.ok()) return feeds.status();
      auto first = feeds->FirstRun();
      if (!first.ok()) return first.status();
      auto profile = ProfileModel(*model_, *first);
      if (!profile.ok()) return profile.status();
      return JsonToJs(profile->ToJson());
    });
  }

  // Per-node sensitivity (config and calibration as for quantize; data and labels as for
  // evaluate; labels may be null); with a target { maxAccuracyDrop (points), minAgreement (0..1),
  // minSqnrDb, keepAs: 'float' | 'int16' } also the fallback to it, and its model's bytes as
  // `model`. Progress counts the sensitivity's nodes, then the fallback's tries, as one task.
  val Sensitivity(const val& config_js, const val& calibration, const val& data_js, const val& labels_js, const val& target_js,
                  const val& progress_js) {
    return OrThrow<val>([&]() -> Result<val> {
      auto config = ConfigFromJs(config_js);
      if (!config.ok()) return config.status();
      auto data = SamplesFromJs("data", data_js);
      if (!data.ok()) return data.status();
      auto samples = SamplesFromJs("calibration", calibration);
      if (!samples.ok()) return samples.status();
      const bool falls_back = IsObject(target_js);
      // The target and labels are read first: a mistake in them is reported before the long ranking.
      FallbackTarget target;
      std::optional<Tensor> labels;
      if (falls_back) {
        auto read = FallbackTargetFromJs(target_js);
        if (!read.ok()) return read.status();
        target = *read;
        QPLAY_RETURN_IF_ERROR(target.Validate(*config));
        if (IsObject(labels_js)) {
          auto loaded = TensorFromJs("labels", labels_js);
          if (!loaded.ok()) return loaded.status();
          labels = loaded.value();
        }
      }
      const ProgressFn progress = ProgressFromJs(progress_js);
      int64_t ranked = 0;  // nodes the sensitivity pass reported, the fallback's tries count after them
      auto steps = [&](int64_t nodes) { return falls_back ? 2 * nodes + 1 : nodes; };
      auto report = AnalyzeSensitivity(*model_, *config, *samples, *data, [&](int64_t done, int64_t total) {
        ranked = total;
        return !progress || progress(done, steps(total));
      });
      if (!report.ok()) return report.status();
      val out = JsonToJs(report->ToJson());
      if (!falls_back) return out;
      auto fallback = FallBackToTarget(*model_, *config, *data, labels ? &*labels : nullptr, target, *report,
                                       [&](int64_t done, int64_t) { return !progress || progress(ranked + done, steps(ranked)); });
      if (!fallback.ok()) return fallback.status();
      auto bytes = ExportModel(fallback->quantized.model);
      if (!bytes.ok()) return bytes.status();
      out.set("fallback", JsonToJs(fallback->ToJson()));
      out.set("model", ByteView(bytes->data(), bytes->size()).call<val>("slice"));
      return out;
    });
  }

  // The analyzer's whole report (analysis/report.h) on this float model and `quantized` over
  // data (SamplesFromJs); labels optional (null).
  val Report(const val& quantized_js, const val& data_js, const val& labels_js, const val& progress) {
    return OrThrow<val>([&]() -> Result<val> {
      if (!IsObject(quantized_js)) return Fail(StatusCode::kInvalidArgument, "report needs the quantized model to compare");
      auto data = SamplesFromJs("data", data_js);
      if (!data.ok()) return data.status();
      std::optional<Tensor> labels;
      if (IsObject(labels_js)) {
        auto loaded = TensorFromJs("labels", labels_js);
        if (!loaded.ok()) return loaded.status();
        labels = loaded.value();
      }
      auto report = AnalyzeQuantization(*model_, *ModelOf(quantized_js), *data, labels ? &*labels : nullptr, {}, ProgressFromJs(progress));
      if (!report.ok()) return report.status();
      return JsonToJs(report->ToJson());
    });
  }

  // For each named tensor: its histogram over the calibration samples and the range each
  // calibration method picks. options: { percentile, symmetric, limit, bins } (all optional).
  val RangeChoices(const val& tensors_js, const val& calibration, const val& options) {
    return OrThrow<val>([&]() -> Result<val> {
      std::vector<std::string> tensors;
      for (size_t i = 0; i < tensors_js["length"].as<size_t>(); ++i) tensors.push_back(tensors_js[i].as<std::string>());
      auto samples = SamplesFromJs("calibration", calibration);
      if (!samples.ok()) return samples.status();
      ObserverOptions observer;
      observer.percentile = NumberOption(options, "percentile", observer.percentile);
      observer.symmetric = FlagOption(options, "symmetric");
      auto limit = WholeOption(options, "limit", 0, 0, int64_t{1} << 40);
      if (!limit.ok()) return limit.status();
      auto bins = WholeOption(options, "bins", 128, 1, 1 << 16);
      if (!bins.ok()) return bins.status();
      auto choices = CompareRangeChoices(*model_, tensors, *samples, observer, *limit, static_cast<int>(*bins));
      if (!choices.ok()) return choices.status();
      return JsonToJs(RangeChoicesToJson(*choices));
    });
  }

  // The model's nodes, each marked quantized, float or folded under the config (no samples needed).
  val Layers(const val& config_js) const {
    return OrThrow<val>([&]() -> Result<val> {
      auto config = ConfigFromJs(config_js);
      if (!config.ok()) return config.status();
      auto plan = PlanLayers(*model_, *config);
      if (!plan.ok()) return plan.status();
      return JsonToJs(LayerPlanToJson(*plan));
    });
  }

  // The graph's nodes in order: [{ name, op_type, domain, inputs, outputs }] (inputs that are
  // constants are marked by the initializers() list).
  val Nodes() const {
    auto strings = [](const std::vector<std::string>& list) {
      val out = val::array();
      for (const auto& s : list) out.call<void>("push", s);
      return out;
    };
    val out = val::array();
    for (const Node& node : model_->graph.nodes) {
      val entry = val::object();
      entry.set("name", node.name);
      entry.set("op_type", node.op_type);
      entry.set("domain", node.domain);
      entry.set("inputs", strings(node.inputs));
      entry.set("outputs", strings(node.outputs));
      out.call<void>("push", entry);
    }
    return out;
  }

  // This model carried to ai.onnx opset `options.opset` by the core's converter, rewritten in
  // float16 when `options.float16` (with `keepIoTypes` and `keepFloat32`, op types or node names),
  // or both, as a new Model.
  WasmModel* Convert(const val& options) const {
    return OrThrow<WasmModel*>([&]() -> Result<WasmModel*> {
      const bool float16 = IsObject(options) && options["float16"].isTrue();
      if (!IsObject(options) || !(options["opset"].isNumber() || float16))
        return Fail(StatusCode::kInvalidArgument, "convert takes { opset: N }, { float16: true } or both");
      Model converted = *model_;
      if (options["opset"].isNumber()) {
        auto upgrade = UpgradeOpset(converted, static_cast<int64_t>(options["opset"].as<double>()), float16);
        if (!upgrade.ok()) return upgrade.status();
      }
      if (!float16) return new WasmModel(std::move(converted), true);
      Float16Options float16_options;
      float16_options.keep_io_types = options["keepIoTypes"].isTrue();
      if (const val kept = options["keepFloat32"]; kept.isArray())
        for (unsigned i = 0; i < kept["length"].as<unsigned>(); ++i) {
          if (!kept[i].isString()) return Fail(StatusCode::kInvalidArgument, "keepFloat32[", i, "] is not an op type or node name (a string)");
          float16_options.keep_float32.insert(kept[i].as<std::string>());
        }
      ConvertToFloat16(converted, float16_options);
      // Loaded again from its bytes, as any float16 file is: it runs in float32 and saves as written.
      auto bytes = ExportModel(converted);
      if (!bytes.ok()) return bytes.status();
      auto loaded = LoadModel(bytes->data(), bytes->size(), "the float16 model");
      if (!loaded.ok()) return loaded.status();
      return new WasmModel(std::move(loaded.value()));
    });
  }

  // The model as the quantizer prepares it before quantizing (constants and BatchNorm folded,
  // then cross-layer equalization and SmoothQuant when the config asks; SmoothQuant measures
  // `calibration`), as a new Model.
  WasmModel* Prepared(const val& config_js, const val& calibration) const {
    return OrThrow<WasmModel*>([&]() -> Result<WasmModel*> {
      auto config = ConfigFromJs(config_js);
      if (!config.ok()) return config.status();
      SampleSet samples;
      if (config->smooth_quant) {
        auto given = SamplesFromJs("calibration", calibration);
        if (!given.ok()) return given.status();
        samples = std::move(given.value());
      }
      auto started = StartQuantization(*model_, *config, &samples);
      if (!started.ok()) return started.status();
      return new WasmModel(std::move(started->model), true);
    });
  }

  // Starts quantization-aware training (see WasmQatSession). options: { epochs, learningRate,
  // optimizer, momentum, weightDecay, batchSize, cosine, lsq, observerSteps, seed } (all optional).
  WasmQatSession* Qat(const val& config_js, const val& train_js, const val& labels_js, const val& eval_js, const val& eval_labels_js,
                      const val& options) const;

  // The model's constant tensors: [{ name, dims, type }].
  val Initializers() const {
    val out = val::array();
    for (const auto& [name, tensor] : model_->graph.initializers) {
      val entry = val::object();
      entry.set("name", name);
      val dims = val::array();
      for (int64_t d : tensor.shape()) dims.call<void>("push", static_cast<double>(d));
      entry.set("dims", dims);
      entry.set("type", DataTypeName(tensor.dtype()));
      out.call<void>("push", entry);
    }
    return out;
  }

  // One constant tensor by name, as { data, dims, type }.
  val Initializer(const std::string& name) const {
    return OrThrow<val>([&]() -> Result<val> {
      auto it = model_->graph.initializers.find(name);
      if (it == model_->graph.initializers.end()) return Fail(StatusCode::kInvalidArgument, "the model has no initializer '", name, "'");
      return TensorToJs(it->second);
    });
  }

  val Save() const {
    return OrThrow<val>([&]() -> Result<val> {
      auto bytes = edited_ ? ExportModel(*model_) : SaveModel(*model_);
      if (!bytes.ok()) return bytes.status();
      return ByteView(bytes->data(), bytes->size()).call<val>("slice");
    });
  }

  // The model with its tensors of 1 KiB or more in the data file `location` (to be kept beside
  // it): { model: bytes, files: { [location]: bytes } }.
  val SaveWithExternalData(const std::string& location) const {
    return OrThrow<val>([&]() -> Result<val> {
      auto files = ExportModelFiles(*model_, ExternalData::kAlways, location);
      if (!files.ok()) return files.status();
      val data = val::object();
      data.set(location, ByteView(files->data.data(), files->data.size()).call<val>("slice"));
      val out = val::object();
      out.set("model", ByteView(files->model.data(), files->model.size()).call<val>("slice"));
      out.set("files", data);
      return out;
    });
  }

 private:
  static const Model* ModelOf(const val& model_js) { return model_js.as<WasmModel*>(emscripten::allow_raw_pointers())->model_.get(); }

  std::unique_ptr<Model> model_;  // stable address: the session points at it
  bool edited_;
  std::vector<QuantizationNote> notes_;
  std::optional<Session> session_;
};

// Quantization-aware training one epoch at a time: epoch() trains one and returns
// { epoch, loss, accuracy? }; finish() gives the model quantized with the best epoch's weights.
class WasmQatSession {
 public:
  explicit WasmQatSession(std::unique_ptr<QatSession> session) : session_(std::move(session)) {}

  val Epoch() {
    return OrThrow<val>([&]() -> Result<val> {
      auto report = session_->RunEpoch();
      if (!report.ok()) return report.status();
      return EpochToJs(*report);
    });
  }

  val Best() const { return EpochToJs(session_->best()); }

  WasmModel* Finish() const {
    return OrThrow<WasmModel*>([&]() -> Result<WasmModel*> {
      auto result = session_->Finish();
      if (!result.ok()) return result.status();
      return new WasmModel(std::move(result->model), true);
    });
  }

 private:
  static val EpochToJs(const EpochReport& r) {
    val out = val::object();
    out.set("epoch", static_cast<double>(r.epoch));
    out.set("loss", r.loss);
    if (r.accuracy) out.set("accuracy", *r.accuracy);
    return out;
  }

  std::unique_ptr<QatSession> session_;
};

WasmQatSession* WasmModel::Qat(const val& config_js, const val& train_js, const val& labels_js, const val& eval_js,
                               const val& eval_labels_js, const val& options) const {
  return OrThrow<WasmQatSession*>([&]() -> Result<WasmQatSession*> {
    auto config = ConfigFromJs(config_js);
    if (!config.ok()) return config.status();
    auto train = TensorFromJs("training data", train_js);
    if (!train.ok()) return train.status();
    auto labels = TensorFromJs("training labels", labels_js);
    if (!labels.ok()) return labels.status();
    std::optional<Tensor> eval, eval_labels;
    if (IsObject(eval_js)) {
      auto data = TensorFromJs("evaluation data", eval_js);
      if (!data.ok()) return data.status();
      auto data_labels = TensorFromJs("evaluation labels", eval_labels_js);
      if (!data_labels.ok()) return data_labels.status();
      eval = data.value();
      eval_labels = data_labels.value();
    }
    QatOptions o;
    o.epochs = static_cast<int64_t>(NumberOption(options, "epochs", static_cast<double>(o.epochs)));
    o.learning_rate = NumberOption(options, "learningRate", o.learning_rate);
    o.momentum = NumberOption(options, "momentum", o.momentum);
    o.weight_decay = NumberOption(options, "weightDecay", o.weight_decay);
    o.batch_size = static_cast<int64_t>(NumberOption(options, "batchSize", static_cast<double>(o.batch_size)));
    o.seed = static_cast<uint32_t>(NumberOption(options, "seed", 0));
    o.cosine_schedule = FlagOption(options, "cosine");
    o.lsq = FlagOption(options, "lsq");
    o.observer_steps = static_cast<int64_t>(NumberOption(options, "observerSteps", 0));
    if (IsObject(options) && options["optimizer"].isString()) o.optimizer = options["optimizer"].as<std::string>();
    auto session = QatSession::Start(*model_, *config, *train, *labels, eval ? &*eval : nullptr, eval ? &*eval_labels : nullptr, o);
    if (!session.ok()) return session.status();
    return new WasmQatSession(std::move(session.value()));
  });
}

// A Uint8Array over `bytes` (a Uint8Array or an ArrayBuffer).
Result<val> ByteView(const val& bytes, const std::string& what) {
  if (!IsObject(bytes) || bytes["byteLength"].isUndefined())
    return Fail(StatusCode::kInvalidArgument, what, " expects a Uint8Array or ArrayBuffer");
  return val::global("Uint8Array").new_(bytes["buffer"].isUndefined() ? bytes : bytes["buffer"],
                                        bytes["byteOffset"].isUndefined() ? val(0) : bytes["byteOffset"], bytes["byteLength"]);
}

// Copies `length` bytes from `offset` of a JavaScript Uint8Array into wasm memory at `out`.
void CopyFromJs(const val& view, int64_t offset, int64_t length, uint8_t* out) {
  val(emscripten::typed_memory_view(static_cast<size_t>(length), out))
      .call<void>("set", view.call<val>("subarray", static_cast<double>(offset), static_cast<double>(offset + length)));
}

// files: { name: Uint8Array | ArrayBuffer } holding the external data files the model names. The
// model is parsed a chunk at a time and each external tensor copied straight from its file, so
// wasm memory holds the model once, not also its file's bytes.
WasmModel* LoadModelWithFilesJs(const val& bytes, const val& files) {
  return OrThrow<WasmModel*>([&]() -> Result<WasmModel*> {
    auto view = ByteView(bytes, "loadModel");
    if (!view.ok()) return view.status();
    ExternalDataReader external;  // without files, a model with external data is refused, saying how to give them
    if (IsObject(files)) {
      std::map<std::string, ExternalFile> given;
      const val names = val::global("Object").call<val>("keys", files);
      for (unsigned i = 0; i < names["length"].as<unsigned>(); ++i) {
        const std::string name = names[i].as<std::string>();
        auto file = ByteView(files[name], "external data file '" + name + "'");
        if (!file.ok()) return file.status();
        given[name] = {static_cast<int64_t>((*file)["byteLength"].as<double>()),
                       [file = *file](int64_t offset, int64_t length, uint8_t* out) { CopyFromJs(file, offset, length, out); }};
      }
      external = ExternalDataFromFiles(std::move(given));
    }
    const auto size = static_cast<int64_t>((*view)["byteLength"].as<double>());
    int64_t offset = 0;
    const ByteStream read = [&](uint8_t* out, size_t capacity) {
      const int64_t count = std::min<int64_t>(static_cast<int64_t>(capacity), size - offset);
      if (count > 0) CopyFromJs(*view, offset, count, out);
      offset += count;
      return static_cast<size_t>(count);
    };
    auto model = LoadModelStreamed(read, static_cast<size_t>(size), "model", external);
    if (!model.ok()) return model.status();
    return new WasmModel(std::move(model.value()));
  });
}

WasmModel* LoadModelJs(const val& bytes) { return LoadModelWithFilesJs(bytes, val::null()); }

// Parses bytes into a tensor with `parse` and returns it as { data, dims, type } (plus `name`
// when the format has one), or throws the parser's message.
template <typename Parse>
val ParseTensorJs(const val& bytes, Parse parse) {
  return OrThrow<val>([&]() -> Result<val> {
    const std::vector<uint8_t> data = emscripten::convertJSArrayToNumberVector<uint8_t>(bytes);
    auto parsed = parse(data);
    if (!parsed.ok()) return parsed.status();
    val result = TensorToJs(parsed->tensor);
    if (!parsed->name.empty()) result.set("name", parsed->name);
    return result;
  });
}

// A serialized onnx.TensorProto (e.g. ONNX test data input_0.pb).
val ParseTensorProtoJs(const val& bytes) {
  return ParseTensorJs(bytes, [](const std::vector<uint8_t>& data) { return ParseTensorProto(data.data(), data.size(), "tensor"); });
}

// A NumPy .npy file.
val ParseNpyJs(const val& bytes) {
  return ParseTensorJs(bytes, [](const std::vector<uint8_t>& data) -> Result<NamedTensor> {
    auto tensor = ParseNpy(data.data(), data.size(), "the .npy file");
    if (!tensor.ok()) return tensor.status();
    return NamedTensor{"", tensor.value()};
  });
}

// Samples from a .npy, .npz or .csv file named `name`: { arrays: { name: tensor } ("" names the
// array of an .npy or .csv), samples: the file's only array (null when it holds several),
// labels (null if absent) }.
val ParseSampleFileJs(const std::string& name, const val& bytes) {
  return OrThrow<val>([&]() -> Result<val> {
    const std::vector<uint8_t> data = emscripten::convertJSArrayToNumberVector<uint8_t>(bytes);
    auto file = ParseSampleFile(data.data(), data.size(), name);
    if (!file.ok()) return file.status();
    val result = val::object();
    val arrays = val::object();
    for (const auto& [array_name, array] : file->arrays) {
      auto tensor = array.All();
      if (!tensor.ok()) return tensor.status();
      arrays.set(array_name, TensorToJs(*tensor));
    }
    result.set("arrays", arrays);
    result.set("samples", file->arrays.size() == 1 ? arrays[file->arrays.begin()->first] : val::null());
    result.set("labels", file->labels ? TensorToJs(*file->labels) : val::null());
    return result;
  });
}

// What a sample file reader holds, read through once without keeping it: { arrays: { name:
// { dims, type, first: its first sample (or the array, if it has no sample axis) or null,
// nonFinite: the first NaN or infinity { sample, element, value } or null } }, labels: tensor
// or null }.
val InspectSampleFileJs(const val& reader) {
  return OrThrow<val>([&]() -> Result<val> {
    auto file = OpenSampleFileJs(reader);
    if (!file.ok()) return file.status();
    val arrays = val::object();
    for (const auto& [name, array] : file->arrays) {
      val info = val::object();
      val dims = val::array();
      for (int64_t d : array.shape()) dims.call<void>("push", static_cast<double>(d));
      info.set("dims", dims);
      info.set("type", DataTypeName(array.dtype()));
      const bool has_first = array.rank() == 0 || array.shape()[0] > 0;
      auto first = array.rank() == 0 ? array.All() : array.Rows(0, has_first ? 1 : 0);
      if (!first.ok()) return first.status();
      info.set("first", has_first ? TensorToJs(*first) : val::null());
      auto non_finite = FindNonFinite(array);
      if (!non_finite.ok()) return non_finite.status();
      val found = val::null();
      if (*non_finite) {
        found = val::object();
        found.set("sample", static_cast<double>((*non_finite)->sample));
        found.set("element", static_cast<double>((*non_finite)->element));
        found.set("value", (*non_finite)->value);
      }
      info.set("nonFinite", found);
      arrays.set(name, info);
    }
    val result = val::object();
    result.set("arrays", arrays);
    result.set("labels", file->labels ? TensorToJs(*file->labels) : val::null());
    return result;
  });
}

// A tensor format from { type: 'uint8' | 'int8' | 'uint16' | 'int16', symmetric, reduceRange }.
Result<TensorFormat> FormatFromJs(const val& options) {
  const std::string type = IsObject(options) && options["type"].isString() ? options["type"].as<std::string>() : "uint8";
  for (DataType t : {DataType::kUint8, DataType::kInt8, DataType::kUint16, DataType::kInt16})
    if (DataTypeName(t) == type) return FormatFor(t, FlagOption(options, "symmetric"), FlagOption(options, "reduceRange"));
  return Fail(StatusCode::kInvalidArgument, "type '", type, "' is not uint8, int8, uint16 or int16");
}

val ParamsToJs(const QParams& p) {
  val out = val::object();
  out.set("scale", p.scale);
  out.set("zero_point", p.zero_point);
  return out;
}

// Scale and zero point for the range [rmin, rmax] in a format, as the quantizer computes them:
// { scale, zero_point, qmin, qmax }.
val QuantParamsJs(double rmin, double rmax, const val& options) {
  return OrThrow<val>([&]() -> Result<val> {
    if (!std::isfinite(rmin) || !std::isfinite(rmax))
      return Fail(StatusCode::kInvalidArgument, "quantParams needs finite rmin and rmax, got ", rmin, " and ", rmax);
    auto format = FormatFromJs(options);
    if (!format.ok()) return format.status();
    val out = ParamsToJs(ComputeQParams(static_cast<float>(rmin), static_cast<float>(rmax), format->range, format->symmetric));
    out.set("qmin", format->range.qmin);
    out.set("qmax", format->range.qmax);
    return out;
  });
}

val ErrorToJs(const Tensor& reference, const Tensor& test) {
  ErrorAccumulator acc;
  (void)acc.Add(reference, test);  // same shape and type by construction
  return JsonToJs(ToJson(acc.Result()).dump());
}

// The error of each slice along `axis` (each output channel of a weight, say).
val ChannelErrorsToJs(const Tensor& reference, const Tensor& test, int64_t axis) {
  int64_t inner = 1;
  for (int64_t d = axis + 1; d < reference.rank(); ++d) inner *= reference.dim(d);
  const int64_t channels = reference.dim(axis), outer = reference.size() / (channels * inner);
  val out = val::array();
  for (int64_t c = 0; c < channels; ++c) {
    Tensor r(DataType::kFloat, {outer * inner}), t(DataType::kFloat, {outer * inner});
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        r.data<float>()[o * inner + i] = reference.data<float>()[(o * channels + c) * inner + i];
        t.data<float>()[o * inner + i] = test.data<float>()[(o * channels + c) * inner + i];
      }
    out.call<void>("push", ErrorToJs(r, t));
  }
  return out;
}

// An axis option (options[key], negative counting from the end) checked against `rank`; -1 when absent.
Result<int64_t> AxisOption(const val& options, const char* key, int64_t rank) {
  if (!IsObject(options) || !options[key].isNumber()) return int64_t{-1};
  int64_t axis = static_cast<int64_t>(options[key].as<double>());
  if (!NormalizeAxis(axis, rank)) return Fail(StatusCode::kInvalidArgument, key, " is out of range for the tensor's rank");
  return axis;
}

// Sets a process-wide limit from JavaScript: a whole number from 1 to `max`, or an Error.
void SetLimit(const char* name, double value, int64_t max, void (*set)(int64_t)) {
  OrThrow<bool>([&]() -> Result<bool> {
    auto whole = WholeNumber(name, value, 1, max);
    if (!whole.ok()) return whole.status();
    set(*whole);
    return true;
  });
}

// The largest tensor a model's sizes may ask for, in bytes (2 GiB by default), for every model.
void SetMaxTensorBytesJs(double bytes) {
  SetLimit("setMaxTensorBytes", bytes, int64_t{1} << 32, [](int64_t v) { SetMaxTensorBytes(static_cast<uint64_t>(v)); });
}

// Iterations a Loop may run before it fails (2^20 by default), for every model.
void SetMaxLoopIterationsJs(double iterations) { SetLimit("setMaxLoopIterations", iterations, int64_t{1} << 53, SetMaxLoopIterations); }

// A float tensor quantized as the quantizer stores weights (QuantizeConstant): per tensor, or
// per channel along options.axis, from its own range or options.rmin/rmax. Returns
// { params: [{ scale, zero_point }], levels: Int32Array, dequantized: Float32Array, qmin, qmax,
//   error: { sqnr_db, cosine, mse, max_abs } } and, with options.errorAxis, channel_errors.
val QuantizeTensorJs(const val& tensor_js, const val& options) {
  return OrThrow<val>([&]() -> Result<val> {
    auto tensor = TensorFromJs("tensor", tensor_js);
    if (!tensor.ok()) return tensor.status();
    if (tensor->dtype() != DataType::kFloat) return Fail(StatusCode::kInvalidArgument, "quantizeTensor takes a float32 tensor");
    auto format = FormatFromJs(options);
    if (!format.ok()) return format.status();
    auto axis = AxisOption(options, "axis", tensor->rank());
    if (!axis.ok()) return axis.status();
    auto error_axis = AxisOption(options, "errorAxis", tensor->rank());
    if (!error_axis.ok()) return error_axis.status();
    std::optional<QParams> fixed;
    if (IsObject(options) && options["rmin"].isNumber() && options["rmax"].isNumber())
      fixed = ComputeQParams(static_cast<float>(options["rmin"].as<double>()), static_cast<float>(options["rmax"].as<double>()),
                             format->range, format->symmetric);
    const QuantizedConstant q = fixed ? QuantizeConstant(*tensor, -1, *format, {*fixed}) : QuantizeConstant(*tensor, *axis, *format);
    val params = val::array();
    for (const QParams& p : q.params) params.call<void>("push", ParamsToJs(p));
    const int64_t channels = static_cast<int64_t>(q.params.size());
    int64_t inner = 1;
    for (int64_t d = *axis + 1; channels > 1 && d < tensor->rank(); ++d) inner *= tensor->dim(d);
    Tensor levels(DataType::kInt32, tensor->shape()), dequantized(DataType::kFloat, tensor->shape());
    for (int64_t i = 0; i < tensor->size(); ++i) {
      const QParams& p = q.params[channels > 1 ? (i / inner) % channels : 0];
      levels.data<int32_t>()[i] = static_cast<int32_t>(q.values.GetAsInt64(i));
      dequantized.data<float>()[i] = static_cast<float>(levels.data<int32_t>()[i] - p.zero_point) * p.scale;
    }
    val out = val::object();
    out.set("params", params);
    out.set("error", ErrorToJs(*tensor, dequantized));
    if (*error_axis >= 0) out.set("channel_errors", ChannelErrorsToJs(*tensor, dequantized, *error_axis));
    out.set("levels", TensorToJs(levels)["data"]);
    out.set("dequantized", TensorToJs(dequantized)["data"]);
    out.set("qmin", format->range.qmin);
    out.set("qmax", format->range.qmax);
    return out;
  });
}

// Each backend preset: its name, what it is, and the config it starts from.
val BackendsJs() {
  val out = val::array();
  for (const std::string& name : BackendNames()) {
    const QuantizationBackend backend = FindBackend(name).value();
    QuantizationConfig defaults;
    backend.ApplyDefaults(defaults);
    val entry = val::object();
    entry.set("name", name);
    entry.set("description", backend.description);
    entry.set("defaults", JsonToJs(defaults.ToJson()));
    out.call<void>("push", entry);
  }
  return out;
}

// The 8-bit GEMM's speed against the dot-product peak of this machine (bench/speed.mjs).
val MeasureInt8GemmJs(double m, double n, double k) {
  const Int8GemmThroughput t = MeasureInt8GemmThroughput(static_cast<int64_t>(m), static_cast<int64_t>(n), static_cast<int64_t>(k), 0.5);
  val out = val::object();
  out.set("gemm_gops", t.gemm_gops);
  out.set("peak_gops", t.peak_gops);
  out.set("fraction_of_peak", t.fraction());
  out.set("relaxed_gops", t.relaxed_gops);
  return out;
}

std::string RelaxedDotJs() { return RelaxedDotModeName(RelaxedDot()); }

}  // namespace
}  // namespace qplay

EMSCRIPTEN_BINDINGS(qplay) {
  using namespace qplay;
  emscripten::class_<WasmModel>("Model")
      .function("info", &WasmModel::Info)
      .function("notes", &WasmModel::Notes)
      .function("run", &WasmModel::Run)
      .function("run", &WasmModel::RunWithProgress)
      .function("save", &WasmModel::Save)
      .function("saveWithExternalData", &WasmModel::SaveWithExternalData)
      .function("quantize", &WasmModel::Quantize, emscripten::allow_raw_pointers())
      .function("evaluate", &WasmModel::Evaluate)
      .function("analyze", &WasmModel::Analyze)
      .function("profile", &WasmModel::Profile)
      .function("report", &WasmModel::Report)
      .function("sensitivity", &WasmModel::Sensitivity)
      .function("rangeChoices", &WasmModel::RangeChoices)
      .function("layers", &WasmModel::Layers)
      .function("initializers", &WasmModel::Initializers)
      .function("nodes", &WasmModel::Nodes)
      .function("prepared", &WasmModel::Prepared, emscripten::allow_raw_pointers())
      .function("convert", &WasmModel::Convert, emscripten::allow_raw_pointers())
      .function("qat", &WasmModel::Qat, emscripten::allow_raw_pointers())
      .function("initializer", &WasmModel::Initializer);
  emscripten::class_<WasmQatSession>("QatSession")
      .function("epoch", &WasmQatSession::Epoch)
      .function("best", &WasmQatSession::Best)
      .function("finish", &WasmQatSession::Finish, emscripten::allow_raw_pointers());
  emscripten::function("loadModel", &LoadModelJs, emscripten::allow_raw_pointers());
  emscripten::function("loadModel", &LoadModelWithFilesJs, emscripten::allow_raw_pointers());
  emscripten::function("parseTensorProto", &ParseTensorProtoJs);
  emscripten::function("parseNpy", &ParseNpyJs);
  emscripten::function("parseSampleFile", &ParseSampleFileJs);
  emscripten::function("inspectSampleFile", &InspectSampleFileJs);
  emscripten::function("threadCount", &ThreadCount);
  emscripten::function("setThreadCount", &SetThreadCount);
  emscripten::function("maxThreadCount", &MaxThreadCount);
  emscripten::function("relaxedDot", &RelaxedDotJs);
  emscripten::function("supportedOpsTable", &SupportedOpsMarkdown);
  emscripten::function("measureInt8Gemm", &MeasureInt8GemmJs);
  emscripten::function("backends", &BackendsJs);
  emscripten::function("quantParams", &QuantParamsJs);
  emscripten::function("quantizeTensor", &QuantizeTensorJs);
  emscripten::function("setMaxTensorBytes", &SetMaxTensorBytesJs);
  emscripten::function("setMaxLoopIterations", &SetMaxLoopIterationsJs);
}
