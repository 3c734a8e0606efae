#!/usr/bin/env bash
# Runs each libFuzzer harness (tests/fuzz) for SECONDS from a seed corpus of the tests' and
# ONNX's conformance models (and the small models of the test zoo, when the tests have built
# it), .npy files and configs. Exits non-zero on the first crash, leaving
# the input in BUILD_DIR/fuzz/crashes/. Usage: scripts/fuzz.sh BUILD_DIR SECONDS [HARNESS...]
# FUZZ_SEED (1 by default) seeds libFuzzer's mutations, so that a run can be repeated;
# FUZZ_RUNS stops each harness after that many executions (or SECONDS, whichever comes first).
# FUZZ_CAMPAIGN=1 is for long runs (docs/fuzzing.md): libFuzzer forks workers and keeps going past
# crashes, collecting each in BUILD_DIR/fuzz/crashes/; the script then fails if any was found.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$1
seconds=$2
shift 2
harnesses=("$@")
[ $# -gt 0 ] || harnesses=(load_model run_model npy npz csv config quantize)
work=$build/fuzz
mkdir -p "$work/crashes"

# Seeds, rebuilt each run (they are copies of files in the repository and Debian's test data).
seeds=$work/seeds
rm -rf "$seeds"
mkdir -p "$seeds"/{models,npy,npz,csv,config,quantize}
i=0
while IFS= read -r model; do
  cp "$model" "$seeds/models/$i.onnx"
  # fuzz_quantize reads a recipe byte, then the model.
  { printf '\x00'; cat "$model"; } > "$seeds/quantize/$i"
  i=$((i + 1))
done < <(find /usr/share/libonnx-testdata/data tests/models tests/hostile examples/models $(ls -d build/zoo-coverage 2>/dev/null) \
           -name '*.onnx' -size -64k | sort)
i=0
while IFS= read -r npy; do
  head -c 65536 "$npy" > "$seeds/npy/$i.npy"
  i=$((i + 1))
done < <(find tests examples -name '*.npy' | sort)
cp tests/data/*.npz "$seeds/npz/"
printf 'f1,f2,label\n0.5,1,2\n-1e1,3,0\n' > "$seeds/csv/header.csv"
printf '1,2,3\r\n4,5,6\r\n' > "$seeds/csv/numbers.csv"
printf '%s' '{}' > "$seeds/config/empty.json"
printf '%s' '{"mode": "static", "per_channel": true, "calibrate_method": "Entropy", "activation_type": "QInt8",
  "nodes_to_exclude": ["conv1"], "op_types_to_quantize": ["Conv", "MatMul"], "calibration_limit": 10,
  "extra_options": {"ActivationSymmetric": true, "CalibPercentile": 99.9, "MinimumRealRange": 0.0001,
  "TensorQuantOverrides": {"x": [{"scale": 0.1, "zero_point": 3}], "w": [{"axis": 0, "symmetric": true}]}}}' > "$seeds/config/full.json"
printf '%s' '{"mode": "weight_only", "weight_bits": 4, "block_size": 32, "quant_format": "QOperator", "backend": "tflite"}' \
  > "$seeds/config/weight_only.json"

for harness in "${harnesses[@]}"; do
  case $harness in
    load_model | run_model) seed=$seeds/models ;;
    *) seed=$seeds/$harness ;;
  esac
  corpus=$work/corpus/$harness
  mkdir -p "$corpus"
  echo "fuzz: $harness for ${seconds}s"
  if [ -n "${FUZZ_CAMPAIGN:-}" ]; then
    "$build/fuzz_$harness" "$corpus" "$seed" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
      -max_total_time="$seconds" ${FUZZ_RUNS:+-runs="$FUZZ_RUNS"} -timeout=20 -rss_limit_mb=3072 -max_len=65536 \
      -seed="${FUZZ_SEED:-1}" \
      -artifact_prefix="$work/crashes/$harness-" 2> "$work/$harness.log" || true
    # The fork mode's last status line counts every execution of every worker.
    grep -E '^#[0-9]+: cov' "$work/$harness.log" | tail -n 1 | sed "s/^/fuzz: $harness: /"
    continue
  fi
  "$build/fuzz_$harness" "$corpus" "$seed" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 -max_len=65536 \
    -seed="${FUZZ_SEED:-1}" ${FUZZ_RUNS:+-runs="$FUZZ_RUNS"} -print_final_stats=1 -artifact_prefix="$work/crashes/$harness-" 2> "$work/$harness.log" || {
    tail -n 60 "$work/$harness.log"
    echo "fuzz: $harness crashed; the input is in $work/crashes/"
    exit 1
  }
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work/$harness.log" | sed "s/^/fuzz: $harness: /"
done
if [ -n "${FUZZ_CAMPAIGN:-}" ] && compgen -G "$work/crashes/*" > /dev/null; then
  ls "$work/crashes/"
  echo "fuzz: crashes found; the inputs are in $work/crashes/"
  exit 1
fi
