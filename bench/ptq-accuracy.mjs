// qplay's quantization of the bundled models beside PyTorch's own, on the same 200
// calibration and 1000 evaluation images. Run after `make`:  node bench/ptq-accuracy.mjs
// Prints two tables: the CNN quantized statically with each calibration method (per-channel
// int8 weights, uint8 activations, QDQ), and the transformer and LSTM quantized dynamically;
// PyTorch's rows come from examples/models/reference_quantization.json.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'build/native/qplay');
const data = (name) => path.join(root, 'examples/data', name);
const modelPath = (name) => path.join(root, 'examples/models', `${name}.onnx`);
const reference = JSON.parse(fs.readFileSync(path.join(root, 'examples/models/reference_quantization.json'), 'utf8'));

function qplay(args) {
  const result = spawnSync(cli, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`qplay ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

const pct = (x) => `${(x * 100).toFixed(1)}%`;
const points = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}`;

// Quantizes `name` with `options` and evaluates it against the float model in one batch of
// 1000 (PyTorch's evaluation batch: dynamic quantization ranges are per batch).
function row(label, name, options) {
  const out = path.join(os.tmpdir(), `qplay-bench-${name}.onnx`);
  qplay(['quantize', modelPath(name), '-o', out, ...options]);
  const m = JSON.parse(qplay(['eval', modelPath(name), '--data', data('evaluation_images.npy'), '--labels',
    data('evaluation_labels.npy'), '--compare', out, '--batch', '1000', '--json']));
  return { float: m.accuracy, cells: [label, pct(m.compare.accuracy), points(m.compare.accuracy - m.accuracy),
    pct(m.compare.agreement), `${m.compare.outputs.logits.sqnr_db?.toFixed(1) ?? 'inf'} dB`] };
}

function printTable(title, rows) {
  console.log(`${title}\n`);
  console.log('| recipe | quantized accuracy | change (points) | top-1 agreement | logits SQNR |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const cells of rows) console.log(`| ${cells.join(' | ')} |`);
  console.log('');
}

const calib = ['--calib', data('calibration_images.npy'), '--per-channel'];
const cnn = ['minmax', 'moving-average', 'percentile', 'entropy', 'mse'].map((method) =>
  row(`qplay ${method}`, 'cnn', [...calib, '--method', method]));
const cnnRows = cnn.map((r) => r.cells);
for (const [engine, r] of Object.entries(reference.cnn.engines))
  cnnRows.push([`PyTorch ${engine} (${engine === 'onednn' ? 'per-channel' : 'per-tensor'})`, pct(r.static), points(r.static - reference.cnn.float), '', '']);
printTable(`Static: bundled CNN, float accuracy ${pct(cnn[0].float)} (qplay) / ${pct(reference.cnn.float)} (PyTorch), 1000 evaluation images`, cnnRows);

const dynamicRows = [];
for (const name of ['transformer', 'lstm']) {
  const perTensor = row(`${name}: qplay dynamic, per tensor`, name, ['--mode', 'dynamic']);
  const perChannel = row(`${name}: qplay dynamic, per channel`, name, ['--mode', 'dynamic', '--per-channel']);
  dynamicRows.push([`${name}: float`, pct(perTensor.float), '', '', ''], perTensor.cells, perChannel.cells);
  for (const [engine, r] of Object.entries(reference[name].engines))
    dynamicRows.push([`${name}: PyTorch ${engine} dynamic`, pct(r.dynamic), points(r.dynamic - reference[name].float), '', '']);
}
printTable('Dynamic (int8 weights, activations quantized per batch of 1000): 1000 evaluation images', dynamicRows);
