// qplay's quantization-aware training of the bundled CNN beside PyTorch's on the same setup
// (examples/reference_qat.py wrote examples/models/reference_qat.json): per-tensor int8
// weights, the 200 calibration images as training set, SGD with momentum, batch 16, the same
// epochs and learning rates, observers frozen after the first epoch; accuracy on the 1000
// evaluation images. qplay trains with three seeds (sample order) per learning rate, so one
// lucky order does not decide; PyTorch's reference is seeded once. Run after `make`:
//   node bench/qat-accuracy.mjs        (about half a minute)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'build/native/qplay');
const data = (name) => path.join(root, 'examples/data', name);
const model = path.join(root, 'examples/models/cnn.onnx');
const reference = JSON.parse(fs.readFileSync(path.join(root, 'examples/models/reference_qat.json'), 'utf8'));
const trainingSamples = 200, batch = 16, seeds = [0, 1, 2];

function qplay(args) {
  const result = spawnSync(cli, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`qplay ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

function accuracyOf(quantized) {
  const report = JSON.parse(qplay(['eval', model, '--data', data('evaluation_images.npy'), '--labels', data('evaluation_labels.npy'),
    '--compare', quantized, '--json']));
  return { float: report.accuracy, quantized: report.compare.accuracy };
}

const ptqPath = path.join(os.tmpdir(), 'qplay-bench-ptq.onnx'), qatPath = path.join(os.tmpdir(), 'qplay-bench-qat.onnx');
qplay(['quantize', model, '-o', ptqPath, '--calib', data('calibration_images.npy')]);
const ptq = accuracyOf(ptqPath);

const pct = (x) => `${(100 * x).toFixed(1)}%`;
const recovered = (float, before, after) => `${Math.round((100 * (after - before)) / (float - before))}%`;
console.log(`Bundled CNN, per-tensor int8, ${reference.epochs} epochs, 1000 evaluation images\n`);
console.log('| learning rate | | float | PTQ | QAT | lost points recovered |');
console.log('| --- | --- | --- | --- | --- | --- |');
let samplesTrained = 0, seconds = 0;
for (const { learning_rate: lr, qat: torchQat } of reference.runs) {
  const results = [];
  for (const seed of seeds) {
    const started = Date.now();
    qplay(['qat', model, '-o', qatPath, '--train-data', data('calibration_images.npy'), '--train-labels', data('calibration_labels.npy'),
      '--epochs', String(reference.epochs), '--lr', String(lr), '--batch-size', String(batch),
      '--observer-steps', String(Math.ceil(trainingSamples / batch)), '--seed', String(seed)]);
    seconds += (Date.now() - started) / 1000;
    samplesTrained += trainingSamples * reference.epochs;
    results.push(accuracyOf(qatPath).quantized);
  }
  for (const [i, accuracy] of results.entries())
    console.log(`| ${lr} | qplay, seed ${seeds[i]} | ${pct(ptq.float)} | ${pct(ptq.quantized)} | ${pct(accuracy)} | ${recovered(ptq.float, ptq.quantized, accuracy)} |`);
  const mean = results.reduce((a, b) => a + b, 0) / results.length;
  console.log(`| ${lr} | **qplay, mean** | ${pct(ptq.float)} | ${pct(ptq.quantized)} | ${pct(mean)} | **${recovered(ptq.float, ptq.quantized, mean)}** |`);
  console.log(`| ${lr} | PyTorch (qnnpack) | ${pct(reference.float)} | ${pct(reference.ptq)} | ${pct(torchQat)} | ${recovered(reference.float, reference.ptq, torchQat)} |`);
}
console.log(`\nqplay trained ${(samplesTrained / seconds).toFixed(0)} samples per second (native, with calibration and export).`);
