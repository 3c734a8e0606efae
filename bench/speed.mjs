// Inference speed: qplay's wasm module against onnxruntime-web's wasm backend (one thread,
// SIMD), in one Node process, on the same model bytes and inputs, warm-up excluded. Prints
// one JSON line per case: our median ms, onnxruntime-web's median ms and their ratio
// (> 1: qplay is faster), runs interleaved; then the 8-bit GEMM's GOPS against the dot-product peak measured in
// the same run, and the size of qplay.wasm. `make bench` builds everything first and exports
// the MobileNetV2-shaped model, a segmentation net, a PaddleOCR-style classifier and a BERT-base-shaped encoder
// (build/bench/*.onnx). --case NAME runs
// one model's cases only, then stops. The BERT-base-shaped encoder is also quantized dynamically. --threads N times the models only, with the threaded
// module (qplay-threads.js) at N threads beside onnxruntime-web at numThreads N, and prints how
// much faster than itself at one thread each qplay case runs.
//   node bench/speed.mjs [--runs N] [--case cnn|transformer|mobilenet_v2|segmentation|ocr_classifier] [--threads N]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import * as ort from 'onnxruntime-web';
import { loadQplay, repoRoot } from '../wasm-tests/wasm/load-qplay.mjs';
import { input, modelsOf } from './cases.mjs';

const option = (flag) => (process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : null);
const runs = Number(option('--runs')) || 20;
const threads = Number(option('--threads')) || 1;
const warmups = 5;
ort.env.wasm.numThreads = threads;
ort.env.wasm.simd = true;

const qp = await loadQplay({ threads: threads > 1 });
qp.setThreadCount(threads);

function median(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

// Median ms of each engine. On one thread, runs are interleaved (one of each in turn) so drift
// in the machine's speed affects both alike. On several, each engine is timed in a block of its
// own after a pause: a thread pool keeps spinning for a while after each run (onnxruntime's for
// milliseconds), and interleaved runs would each find the other's threads on their cores.
// Warm-up (allocation, weight packing, and the engine tiering wasm up from its baseline
// compiler to optimized code, which takes a while in time rather than in calls) lasts
// `warmups` runs and at least a second; the measure lasts `runs` runs and at least a second.
async function timeBoth(ours, theirs) {
  const repeat = async (fns, count, seconds, record) => {
    const end = performance.now() + seconds * 1000;
    for (let i = 0; i < count || performance.now() < end; i++)
      for (const [k, fn] of fns.entries()) {
        const start = performance.now();
        await fn();
        record?.(k, performance.now() - start);
      }
  };
  const times = [[], []];
  if (threads === 1) {
    await repeat([ours, theirs], warmups, 1);
    await repeat([ours, theirs], runs, 1, (k, ms) => times[k].push(ms));
  } else {
    for (const [k, fn] of [ours, theirs].entries()) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await repeat([fn], warmups, 1);
      await repeat([fn], runs, 1, (_, ms) => times[k].push(ms));
    }
  }
  return times.map(median);
}

async function compare(name, bytes, feeds) {
  const ours = qp.loadModel(bytes);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const ortFeeds = Object.fromEntries(
    Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)]),
  );
  const [qplayMs, ortMs] = await timeBoth(() => ours.run(feeds), () => session.run(ortFeeds));
  const line = { case: threads > 1 ? `${name}, ${threads} threads` : name, qplay_ms: +qplayMs.toFixed(3), ort_web_ms: +ortMs.toFixed(3),
    speedup: +(ortMs / qplayMs).toFixed(2) };
  if (threads > 1) {  // qplay against itself on one thread, timed the same way
    const oneThread = async () => { qp.setThreadCount(1); ours.run(feeds); qp.setThreadCount(threads); };
    const [allMs, oneMs] = await timeBoth(() => ours.run(feeds), oneThread);
    line.qplay_thread_scaling = +(oneMs / allMs).toFixed(2);
  }
  ours.delete();
  await session.release();
  console.log(JSON.stringify(line));
}

const only = option('--case');
for (const { name, shape, batches, float, int8, dynamicInt8 } of modelsOf(qp, only)) {
  for (const batch of batches) {
    const feeds = { input: input(batch, shape) };
    await compare(`${name} float batch ${batch}`, float, feeds);
    await compare(`${name} int8 (QDQ) batch ${batch}`, int8, feeds);
    if (dynamicInt8) await compare(`${name} int8 (dynamic) batch ${batch}`, dynamicInt8, feeds);
  }
}

if (only || threads > 1) process.exit(0);

qp.measureInt8Gemm(64, 256, 288);  // warm-up: the engine tiers the peak loop up to optimized code
for (const [m, n, k] of [[64, 256, 288], [128, 196, 576]]) {
  const gemm = qp.measureInt8Gemm(m, n, k);
  console.log(JSON.stringify({ case: `int8 GEMM ${m}x${n}x${k}`, ...Object.fromEntries(Object.entries(gemm).map(([key, v]) => [key, +v.toFixed(3)])) }));
}

// Quantization-aware training throughput on the CNN (forward, backward and step, batch 16): qplay
// in wasm, one epoch after a warm-up one, beside PyTorch's QAT on this machine (one thread).
{
  const samples = 64;
  const model = qp.loadModel(fs.readFileSync(path.join(repoRoot, 'examples/models/cnn.onnx')));
  const labels = qp.parseNpy(fs.readFileSync(path.join(repoRoot, 'examples/data/calibration_labels.npy')));
  const session = model.qat({}, input(samples, [1, 28, 28]), { data: labels.data.slice(0, samples), dims: [samples], type: 'int64' }, null, null,
    { batchSize: 16, learningRate: 1e-4, epochs: 2 });
  session.epoch();
  const start = performance.now();
  session.epoch();
  const qplaySps = samples / ((performance.now() - start) / 1000);
  session.delete();
  model.delete();
  const torch = spawnSync('/usr/bin/python3', [path.join(repoRoot, 'bench/qat_throughput.py'), String(samples)], { encoding: 'utf8' });
  const torchSps = torch.status === 0 ? Number(torch.stdout.trim()) : null;
  console.log(JSON.stringify({ case: 'cnn QAT training, samples per second', qplay_wasm: +qplaySps.toFixed(1), pytorch: torchSps,
    ratio: torchSps ? +(qplaySps / torchSps).toFixed(3) : null }));
}

const wasm = fs.readFileSync(path.join(repoRoot, 'build/wasm/qplay.wasm'));
console.log(JSON.stringify({ wasm_bytes: wasm.length, wasm_gzip_bytes: zlib.gzipSync(wasm, { level: 9 }).length }));
