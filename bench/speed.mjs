// Inference speed: qplay's wasm module against onnxruntime-web's wasm backend (one thread,
// SIMD), in one Node process, on the same model bytes and inputs, warm-up excluded. Prints
// one JSON line per case: our median ms, onnxruntime-web's median ms and their ratio
// (> 1: qplay is faster), then the size of qplay.wasm. Build first with `make`.
//   node bench/speed.mjs [--runs N]
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import * as ort from 'onnxruntime-web';
import { loadQplay, repoRoot } from '../wasm-tests/wasm/load-qplay.mjs';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 20;
ort.env.wasm.numThreads = 1;
ort.env.wasm.simd = true;

const qp = await loadQplay();
const calibration = qp.parseNpy(fs.readFileSync(path.join(repoRoot, 'examples/data/calibration_images.npy')));

function median(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timeIt(fn) {
  for (let i = 0; i < 3; i++) await fn();  // warm-up: allocation, packing, JIT
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return median(times);
}

function input(batch, shape) {
  const dims = [batch, ...shape];
  const size = dims.reduce((a, b) => a * b, 1);
  return { data: Float32Array.from({ length: size }, (_, i) => (Math.sin(i * 0.37) + 1) / 2), dims, type: 'float32' };
}

async function compare(name, bytes, feeds) {
  const ours = qp.loadModel(bytes);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const ortFeeds = Object.fromEntries(
    Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)]),
  );
  const qplayMs = await timeIt(() => ours.run(feeds));
  const ortMs = await timeIt(() => session.run(ortFeeds));
  ours.delete();
  await session.release();
  console.log(JSON.stringify({ case: name, qplay_ms: +qplayMs.toFixed(3), ort_web_ms: +ortMs.toFixed(3), speedup: +(ortMs / qplayMs).toFixed(2) }));
}

function quantized(bytes) {
  const model = qp.loadModel(bytes);
  const q = model.quantize({ per_channel: true, calibration_limit: 50 }, { input: calibration }, null);
  const out = q.save();
  q.delete();
  model.delete();
  return out;
}

for (const [name, batches] of [['cnn', [1, 64]], ['transformer', [1, 64]]]) {
  const float = fs.readFileSync(path.join(repoRoot, `examples/models/${name}.onnx`));
  const int8 = quantized(float);
  for (const batch of batches) {
    const feeds = { input: input(batch, [1, 28, 28]) };
    await compare(`${name} float batch ${batch}`, float, feeds);
    await compare(`${name} int8 (QDQ) batch ${batch}`, int8, feeds);
  }
}

const wasm = fs.readFileSync(path.join(repoRoot, 'build/wasm/qplay.wasm'));
console.log(JSON.stringify({ wasm_bytes: wasm.length, wasm_gzip_bytes: zlib.gzipSync(wasm, { level: 9 }).length }));
