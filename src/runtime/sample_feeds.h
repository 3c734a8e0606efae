// Feeding a data set to a model with any number of inputs, whether its batch is dynamic or fixed.
// Every command that runs a model over samples (calibrate, evaluate, analyze, sensitivity,
// profile) cuts its runs here, so they all read arrays the same way.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "core/status.h"
#include "core/tensor.h"
#include "data/sample_array.h"
#include "ir/ir.h"
#include "runtime/session.h"

namespace qplay {

// Arrays by the name of the input they feed. An array named "" feeds a model's only input (the
// array of an .npy or a .csv file, or the one array of an .npz given alone). Arrays read from
// files are read a run at a time, so a set's size does not bound what memory holds.
using SampleSet = std::map<std::string, SampleArray>;

// How each input of a model is fed from a SampleSet:
// - an array shaped exactly like its input (every dimension declared) is a constant, fed as it
//   is to every run: a state vector, a sample rate;
// - in any other array the first axis counts samples. The rest of its shape must fit the
//   input's declared dimensions; an array of [N, *input shape*] is read as N whole inputs;
// - a declared first dimension B (a fixed batch) takes exactly B samples per run;
// - integer arrays are converted to the input's integer type when every value fits, and
//   float64 arrays are rounded to float32 for float inputs, a run at a time.
class SampleFeeds {
 public:
  // Fails naming the input and what was expected: an input without an array, an array no
  // input takes, a wrong element type or shape, inputs that disagree on the sample count, or a
  // count that does not fill whole fixed batches. `what` starts the messages ("calibration").
  static Result<SampleFeeds> Bind(const Graph& graph, const SampleSet& arrays, const std::string& what = "samples");

  int64_t samples() const { return samples_; }
  // Samples in each run: a fixed batch, else 1 when any input is fed a constant (a state's
  // shape fixes the batch it goes with), else `preferred`.
  int64_t RunSize(int64_t preferred) const;
  // Feeds for samples [start, start + count): constants as they are, the other arrays' rows
  // read and converted. Fails naming the file that cannot be read or the value that does not fit.
  Result<TensorMap> Run(int64_t start, int64_t count) const;
  // The first run's feeds (what profiling times).
  Result<TensorMap> FirstRun() const { return Run(0, std::min(RunSize(1), samples_)); }
  // The same feeds keeping only the first `count` samples (whole fixed batches, at least one).
  SampleFeeds Head(int64_t count) const;
  // The arrays by input: binding them again gives these feeds.
  SampleSet arrays() const;

 private:
  DataType TypeOf(const std::string& input) const;  // as declared, or kUndefined

  std::map<std::string, SampleArray> per_sample_;  // by input; samples along the first axis
  std::map<std::string, SampleArray> constants_;   // by input, as given
  TensorMap constant_values_;                     // the same, read and converted
  std::map<std::string, DataType> types_;         // the declared types, by input
  std::string what_;                              // what errors call the set
  std::set<std::string> wholes_;              // inputs whose arrays are [N, *input shape]
  int64_t samples_ = 0;
  int64_t fixed_batch_ = 0;  // 0: dynamic
};

// Runs `session` over every sample of `feeds`, one sample per run (or a fixed batch): `observe`
// sees each run's inputs, then every value the run computes. A failed run names its sample.
Status ObserveSamples(const Session& session, const SampleFeeds& feeds,
                      const std::function<void(const std::string& name, const Tensor& value)>& observe);

}  // namespace qplay
