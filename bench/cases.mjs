// The models the speed benchmarks time (bench/speed.mjs in Node, bench/relaxed-simd.mjs in
// Chromium), their inputs, and the int8 files both engines run.
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../wasm-tests/wasm/load-qplay.mjs';

export const cases = [
  { name: 'cnn', file: 'examples/models/cnn.onnx', shape: [1, 28, 28], batches: [1, 64] },
  { name: 'transformer', file: 'examples/models/transformer.onnx', shape: [1, 28, 28], batches: [1, 64] },
  { name: 'mobilenet_v2', file: 'build/bench/mobilenet_v2.onnx', shape: [3, 224, 224], batches: [1] },
  { name: 'segmentation', file: 'build/bench/segmentation.onnx', shape: [3, 256, 256], batches: [1] },
  { name: 'ocr_classifier', file: 'build/bench/ocr_classifier.onnx', shape: [3, 48, 192], batches: [1] },
  { name: 'bert_encoder', file: 'build/bench/bert_encoder.onnx', shape: [128, 768], batches: [1], dynamic: true },
];

// A deterministic float input of `batch` x `shape`.
export function input(batch, shape) {
  const dims = [batch, ...shape];
  const size = dims.reduce((a, b) => a * b, 1);
  return { data: Float32Array.from({ length: size }, (_, i) => (Math.sin(i * 0.37) + 1) / 2), dims, type: 'float32' };
}

// The same int8 file for every engine: qplay's QDQ quantization (per-channel weights),
// calibrated on `samples` (image models on their own data; any input does for speed), or its
// dynamic quantization (ONNX Runtime's quantize_dynamic layout: MatMulInteger) without samples.
export function quantized(qp, bytes, samples, mode = 'static') {
  const model = qp.loadModel(bytes);
  const q = mode === 'dynamic' ? model.quantize({ mode: 'dynamic', per_channel: true }, {}, null)
    : model.quantize({ per_channel: true, calibration_limit: 50 }, { input: samples }, null);
  const out = q.save();
  q.delete();
  model.delete();
  return out;
}

// Each case's float, QDQ int8 and (where it has one) dynamic int8 bytes, with the `input`
// each batch runs on; cases whose file `make bench` has not exported are reported and skipped.
export function* modelsOf(qp, only) {
  const calibration = qp.parseNpy(fs.readFileSync(path.join(repoRoot, 'examples/data/calibration_images.npy')));
  for (const c of cases.filter((c) => !only || c.name === only)) {
    const full = path.join(repoRoot, c.file);
    if (!fs.existsSync(full)) {
      console.log(JSON.stringify({ case: c.name, skipped: `${c.file} is missing (make bench exports it)` }));
      continue;
    }
    const float = fs.readFileSync(full);
    const samples = c.shape[0] === 1 && c.shape[1] === 28 ? calibration : input(4, c.shape);
    yield { ...c, float, int8: quantized(qp, float, samples), dynamicInt8: c.dynamic ? quantized(qp, float, null, 'dynamic') : null };
  }
}
