// qplay's quantization-aware training of the bundled CNN beside PyTorch's on the same setup
// (examples/reference_qat.py wrote examples/models/reference_qat.json): per-tensor int8
// weights, the 200 calibration images as training set, SGD with momentum, batch 16, the same
// epochs and learning rate; accuracy on the 1000 evaluation images. Run after `make`:
//   node bench/qat-accuracy.mjs        (about two minutes: qplay trains with plain loops)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'build/native/qplay');
const data = (name) => path.join(root, 'examples/data', name);
const model = path.join(root, 'examples/models/cnn.onnx');
const reference = JSON.parse(fs.readFileSync(path.join(root, 'examples/models/reference_qat.json'), 'utf8'));

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
const started = Date.now();
qplay(['qat', model, '-o', qatPath, '--train-data', data('calibration_images.npy'), '--train-labels', data('calibration_labels.npy'),
  '--epochs', String(reference.epochs), '--lr', String(reference.learning_rate), '--batch-size', '16']);
const seconds = (Date.now() - started) / 1000;
const ptq = accuracyOf(ptqPath), qat = accuracyOf(qatPath);

const pct = (x) => `${(100 * x).toFixed(1)}%`;
const recovered = (float, before, after) => `${Math.round((100 * (after - before)) / (float - before))}%`;
console.log(`Bundled CNN, per-tensor int8, ${reference.epochs} epochs at learning rate ${reference.learning_rate}, 1000 evaluation images\n`);
console.log('| | float | PTQ | QAT | lost points recovered |');
console.log('| --- | --- | --- | --- | --- |');
console.log(`| qplay | ${pct(ptq.float)} | ${pct(ptq.quantized)} | ${pct(qat.quantized)} | ${recovered(ptq.float, ptq.quantized, qat.quantized)} |`);
console.log(`| PyTorch (qnnpack) | ${pct(reference.float)} | ${pct(reference.ptq)} | ${pct(reference.qat)} | ${recovered(reference.float, reference.ptq, reference.qat)} |`);
console.log(`\nqplay trained in ${seconds.toFixed(0)} s (${((200 * reference.epochs) / seconds).toFixed(1)} samples per second, native, plain loops).`);
