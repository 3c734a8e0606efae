// qplay's static quantization of the bundled CNN beside PyTorch's own, on the same 200
// calibration and 1000 evaluation images. Run after `make`:  node bench/ptq-accuracy.mjs
// Prints one row per calibration method (per-channel int8 weights, uint8 activations, QDQ)
// and PyTorch's rows from examples/models/reference_quantization.json.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'build/native/qplay');
const data = (name) => path.join(root, 'examples/data', name);
const model = path.join(root, 'examples/models/cnn.onnx');

function qplay(args) {
  const result = spawnSync(cli, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`qplay ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

const pct = (x) => `${(x * 100).toFixed(1)}%`;
const points = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}`;
const rows = [];
let float;
for (const method of ['minmax', 'moving-average', 'percentile', 'entropy', 'mse']) {
  const out = path.join(os.tmpdir(), `qplay-bench-cnn-${method}.onnx`);
  qplay(['quantize', model, '-o', out, '--calib', data('calibration_images.npy'), '--per-channel', '--method', method, '--json']);
  const metrics = JSON.parse(qplay(['eval', model, '--data', data('evaluation_images.npy'), '--labels',
    data('evaluation_labels.npy'), '--compare', out, '--json']));
  float = metrics.accuracy;
  rows.push([`qplay ${method}`, pct(metrics.compare.accuracy), points(metrics.compare.accuracy - float),
    pct(metrics.compare.agreement), `${metrics.compare.outputs.logits.sqnr_db?.toFixed(1) ?? 'inf'} dB`]);
}
const reference = JSON.parse(fs.readFileSync(path.join(root, 'examples/models/reference_quantization.json'), 'utf8')).cnn;
for (const [engine, r] of Object.entries(reference.engines))
  rows.push([`PyTorch ${engine} (${engine === 'onednn' ? 'per-channel' : 'per-tensor'})`, pct(r.static),
    points(r.static - reference.float), '', '']);

console.log(`Bundled CNN, float accuracy ${pct(float)} (qplay) / ${pct(reference.float)} (PyTorch), 1000 evaluation images\n`);
console.log('| recipe | quantized accuracy | change (points) | top-1 agreement | logits SQNR |');
console.log('| --- | --- | --- | --- | --- |');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
