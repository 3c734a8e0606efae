#include "runtime/sample_feeds.h"

#include <algorithm>
#include <limits>
#include <set>

namespace qplay {
namespace {

bool IsIntegerType(DataType t) {
  switch (t) {
    case DataType::kInt8: case DataType::kUint8: case DataType::kInt16: case DataType::kUint16:
    case DataType::kInt32: case DataType::kUint32: case DataType::kInt64: case DataType::kUint64:
      return true;
    default:
      return false;
  }
}

// The smallest and largest value of an integer type, as doubles (exact for every bound but
// the 64-bit ones, which no conversion needs exactly).
std::pair<double, double> IntegerLimits(DataType t) {
  double lo = 0, hi = 0;
  VisitAny(t, [&](auto tag) {
    using T = decltype(tag);
    lo = static_cast<double>(std::numeric_limits<T>::lowest());
    hi = static_cast<double>(std::numeric_limits<T>::max());
  });
  return {lo, hi};
}

// Whether arrays of `given` can feed an input declared as `declared`: the same type, or one
// that converts (float64 to float32, integers to integers whose range holds the values).
Status CheckConvertible(const std::string& input, const ValueType* declared, DataType given, const std::string& what) {
  if (!declared || declared->dtype == DataType::kUndefined || declared->dtype == given) return Status::Ok();
  const DataType to = declared->dtype;
  if ((to == DataType::kFloat && given == DataType::kDouble) || (IsIntegerType(to) && IsIntegerType(given))) return Status::Ok();
  return Fail(StatusCode::kInvalidArgument, what, ": input '", input, "' takes ", DataTypeName(to), " but its array is ", DataTypeName(given));
}

// `array` as the element type `to`, when the conversion keeps every value (CheckConvertible
// passed); `first_element` places the array's elements in the whole set, for errors.
Result<Tensor> ToType(const std::string& input, DataType to, const Tensor& array, int64_t first_element, const std::string& what) {
  if (to == DataType::kUndefined || to == array.dtype()) return array;
  auto converted = Tensor::Allocate(to, array.shape(), what + " for input '" + input + "'");
  if (!converted.ok()) return converted.status();
  if (to == DataType::kFloat && array.dtype() == DataType::kDouble) {
    for (int64_t i = 0; i < array.size(); ++i) converted->data<float>()[i] = static_cast<float>(array.data<double>()[i]);
    return converted;
  }
  const auto [lo, hi] = IntegerLimits(to);
  for (int64_t i = 0; i < array.size(); ++i) {
    const double v = array.GetAsDouble(i);
    if (v < lo || v > hi)
      return Fail(StatusCode::kInvalidArgument, what, ": input '", input, "' takes ", DataTypeName(to), " but its ",
                  DataTypeName(array.dtype()), " array holds ", array.GetAsInt64(i), " at element ", first_element + i);
    converted->SetFromDouble(i, v);
  }
  return converted;
}

// Whether `shape` ends in the declared dims, from declared dim `from` on.
bool Fits(const std::vector<Dim>& declared, const Shape& shape, size_t from) {
  const size_t offset = shape.size() - declared.size();
  for (size_t d = from; d < declared.size(); ++d)
    if (declared[d].known() && *declared[d].value != shape[d + offset]) return false;
  return true;
}

bool FullyDeclared(const std::vector<Dim>& declared) {
  return std::all_of(declared.begin(), declared.end(), [](const Dim& d) { return d.known(); });
}

// The arrays by the input they feed: an unnamed array feeds a lone input.
Result<SampleSet> ByInput(const Graph& graph, const SampleSet& arrays, const std::string& what) {
  if (graph.inputs.size() == 1 && arrays.size() == 1 && arrays.begin()->first.empty())
    return SampleSet{{graph.inputs[0], arrays.begin()->second}};
  std::string inputs;
  for (const auto& name : graph.inputs) inputs += (inputs.empty() ? "'" : ", '") + name + "'";
  for (const auto& [name, _] : arrays) {
    if (std::find(graph.inputs.begin(), graph.inputs.end(), name) != graph.inputs.end()) continue;
    if (name.empty())
      return Fail(StatusCode::kInvalidArgument, what, ": an unnamed array, but the model has ", graph.inputs.size(),
                  " inputs (", inputs, "): name each array by the input it feeds");
    return Fail(StatusCode::kInvalidArgument, what, ": array '", name, "' feeds no input of the model (its inputs: ", inputs, ")");
  }
  for (const auto& name : graph.inputs)
    if (!arrays.count(name)) return Fail(StatusCode::kInvalidArgument, what, ": no array for input '", name, "' (the model's inputs: ", inputs, ")");
  return arrays;
}

}  // namespace

Result<SampleFeeds> SampleFeeds::Bind(const Graph& graph, const SampleSet& arrays, const std::string& what) {
  auto by_input = ByInput(graph, arrays, what);
  if (!by_input.ok()) return by_input.status();
  SampleFeeds feeds;
  std::map<std::string, int64_t> counts;  // samples per array, by input
  std::set<std::string> whole_inputs;    // arrays of [N, *input shape]: one whole input per run
  for (const auto& entry : *by_input) {
    const std::string& input = entry.first;  // a named variable: lambdas cannot capture structured bindings in C++17
    const SampleArray& array = entry.second;
    const ValueType* declared = graph.TypeOf(input);
    QPLAY_RETURN_IF_ERROR(CheckConvertible(input, declared, array.dtype(), what));
    if (declared) feeds.types_[input] = declared->dtype;
    const Shape& shape = array.shape();
    const bool has_shape = declared && declared->shape;
    const std::vector<Dim> dims = has_shape ? *declared->shape : std::vector<Dim>{};
    const size_t rank = shape.size();
    const DataType input_type = declared && declared->dtype != DataType::kUndefined ? declared->dtype : array.dtype();
    auto describe = [&] {
      return "input '" + input + "' is " + DataTypeName(input_type) + " " + (has_shape ? declared->ShapeString() : "of any shape") +
             " but its array is " + ShapeToString(shape);
    };
    if (has_shape && rank == dims.size() && FullyDeclared(dims) && Fits(dims, shape, 0)) {
      feeds.constants_[input] = array;
    } else if (has_shape && rank == dims.size() + 1 && FullyDeclared(dims) && Fits(dims, shape, 0)) {
      feeds.per_sample_[input] = array;
      whole_inputs.insert(input);
      counts[input] = shape[0];
    } else if (rank == 0) {
      return Fail(StatusCode::kInvalidArgument, what, ": ", describe(), ": samples go along a first axis");
    } else if (has_shape && (rank != dims.size() || !Fits(dims, shape, 1))) {
      return Fail(StatusCode::kInvalidArgument, what, ": ", describe(),
                  rank + 1 == dims.size() ? ": samples go along a first axis" : "");
    } else {
      if (has_shape && dims[0].known()) {
        const int64_t batch = *dims[0].value;
        if (feeds.fixed_batch_ && feeds.fixed_batch_ != batch)
          return Fail(StatusCode::kInvalidArgument, what, ": the inputs fix different batch sizes (", feeds.fixed_batch_, " and ", batch,
                      " for '", input, "')");
        feeds.fixed_batch_ = batch;
      }
      feeds.per_sample_[input] = array;
      counts[input] = shape[0];
    }
  }
  // Arrays that all match their inputs exactly, with one first dimension, are one fixed batch
  // of samples rather than constants; with different first dimensions, they are one run.
  std::set<int64_t> first_dims;
  for (const auto& [input, array] : feeds.constants_)
    if (array.rank() > 0) first_dims.insert(array.shape()[0]);
  if (feeds.per_sample_.empty() && first_dims.size() == 1) {
    feeds.fixed_batch_ = *first_dims.begin();
    for (auto it = feeds.constants_.begin(); it != feeds.constants_.end();) {
      if (it->second.rank() == 0) {
        ++it;
        continue;
      }
      counts[it->first] = it->second.shape()[0];
      feeds.per_sample_.insert(*it);
      it = feeds.constants_.erase(it);
    }
  }
  feeds.samples_ = counts.empty() ? 1 : counts.begin()->second;
  for (const auto& [input, count] : counts)
    if (count != feeds.samples_)
      return Fail(StatusCode::kInvalidArgument, what, ": the inputs disagree on the number of samples (", feeds.samples_, " for '",
                  counts.begin()->first, "', ", count, " for '", input, "')");
  if (feeds.samples_ == 0) return Fail(StatusCode::kInvalidArgument, what, ": the set is empty");
  if (!whole_inputs.empty()) {
    if (feeds.fixed_batch_ > 1)
      return Fail(StatusCode::kInvalidArgument, what, ": input '", *whole_inputs.begin(), "' gets one whole input per run, but the model's batch is fixed at ",
                  feeds.fixed_batch_);
    feeds.wholes_ = std::move(whole_inputs);
  }
  if (feeds.fixed_batch_ > 1 && feeds.samples_ % feeds.fixed_batch_)
    return Fail(StatusCode::kInvalidArgument, what, ": the model's batch is fixed at ", feeds.fixed_batch_, ", and ", feeds.samples_,
                " samples do not fill whole batches (give a multiple of ", feeds.fixed_batch_,
                " samples, or arrays of [N, *input shape] for N whole inputs)");
  for (const auto& [input, array] : feeds.constants_) {
    auto value = array.All();
    if (!value.ok()) return value.status();
    auto converted = ToType(input, feeds.TypeOf(input), *value, 0, what);
    if (!converted.ok()) return converted.status();
    feeds.constant_values_[input] = std::move(*converted);
  }
  feeds.what_ = what;
  return feeds;
}

DataType SampleFeeds::TypeOf(const std::string& input) const {
  auto it = types_.find(input);
  return it == types_.end() ? DataType::kUndefined : it->second;
}

int64_t SampleFeeds::RunSize(int64_t preferred) const {
  if (fixed_batch_ > 0) return fixed_batch_;
  if (!constants_.empty() || !wholes_.empty()) return 1;
  return std::max<int64_t>(preferred, 1);
}

Result<TensorMap> SampleFeeds::Run(int64_t start, int64_t count) const {
  TensorMap feeds = constant_values_;
  for (const auto& [input, array] : per_sample_) {
    const bool whole = wholes_.count(input) > 0;
    auto rows = array.Rows(start, whole ? 1 : count);
    if (!rows.ok()) return rows.status();
    const int64_t per_row = rows->size() / std::max<int64_t>(rows->dim(0), 1);
    auto converted = ToType(input, TypeOf(input), *rows, start * per_row, what_);
    if (!converted.ok()) return converted.status();
    feeds[input] = whole ? converted->Reshaped(Shape(array.shape().begin() + 1, array.shape().end())) : std::move(*converted);
  }
  return feeds;
}

SampleFeeds SampleFeeds::Head(int64_t count) const {
  SampleFeeds head = *this;
  const int64_t unit = std::max<int64_t>(fixed_batch_, 1);
  head.samples_ = std::clamp(count / unit * unit, std::min(unit, samples_), samples_);
  for (auto& [input, array] : head.per_sample_) array = array.RowsView(0, head.samples_);
  return head;
}

SampleSet SampleFeeds::arrays() const {
  SampleSet all = constants_;
  all.insert(per_sample_.begin(), per_sample_.end());
  return all;
}

Status ObserveSamples(const Session& session, const SampleFeeds& feeds,
                      const std::function<void(const std::string& name, const Tensor& value)>& observe) {
  const int64_t run_size = feeds.RunSize(1);
  for (int64_t start = 0; start < feeds.samples(); start += run_size) {
    auto inputs = feeds.Run(start, run_size);
    if (!inputs.ok()) return inputs.status();
    for (const auto& [name, t] : *inputs) observe(name, t);
    auto run = session.Run(*inputs, [&](const Node&, const std::string& name, const Tensor& t) { observe(name, t); });
    if (!run.ok()) return run.status().WithContext("sample " + std::to_string(start));
  }
  return Status::Ok();
}

}  // namespace qplay
