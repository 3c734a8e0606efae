// qplay's quantization of the bundled models beside PyTorch's own, on the same images.
// Run with `make bench-accuracy` (which installs Debian's Fashion-MNIST for the test set).
// Prints two tables: the CNN quantized statically with each calibration method (per-channel
// int8 weights, uint8 activations, QDQ) on the 1000 evaluation images, and the transformer and
// LSTM quantized dynamically on the 1000 evaluation images and on all 10000 test images, then each
// dynamic recipe paired with PyTorch's image by image on the test set (are the accuracies really
// different?). PyTorch's rows come from examples/models/reference_quantization.json.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { pairedComparison } from './paired-comparison.mjs';

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

// `digits` after the point: 2 on the 10000 test images, where one image is 0.01%.
const pct = (x, digits = 1) => `${(x * 100).toFixed(digits)}%`;
const points = (x, digits = 1) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(digits)}`;

const evaluationSet = { images: data('evaluation_images.npy'), labels: data('evaluation_labels.npy') };

// Quantizes `name` with `options` and evaluates it against the float model on `set` in batches
// of 1000 (PyTorch's evaluation batch: dynamic quantization ranges are per batch).
function measure(name, options, set = evaluationSet) {
  const out = path.join(os.tmpdir(), `qplay-bench-${name}.onnx`);
  qplay(['quantize', modelPath(name), '-o', out, ...options]);
  const m = JSON.parse(qplay(['eval', modelPath(name), '--data', set.images, '--labels', set.labels, '--compare', out,
    '--batch', '1000', '--json']));
  return { float: m.accuracy, accuracy: m.compare.accuracy, agreement: m.compare.agreement,
    sqnr_db: m.compare.outputs.logits.sqnr_db, disagreements: m.compare.disagreements };
}

const db = (x) => `${x?.toFixed(1) ?? 'inf'} dB`;
const cells = (label, m, float, digits = 1) =>
  [label, pct(m.accuracy, digits), points(m.accuracy - float, digits), pct(m.agreement, digits), db(m.sqnr_db)];
const row = (label, name, options) => {
  const m = measure(name, options);
  return { float: m.float, cells: cells(label, m, m.float) };
};

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

// Debian's Fashion-MNIST test set (10000 images), preprocessed as examples/fashion_mnist.py does
// (in float32), written as .npy files under build/bench.
function writeTestSet() {
  const source = '/usr/share/datasets/fashion-mnist';
  if (!fs.existsSync(source)) throw new Error(`${source} is missing: run scripts/setup-bench.sh (Debian's dataset-fashion-mnist)`);
  const pixels = zlib.gunzipSync(fs.readFileSync(path.join(source, 't10k-images-idx3-ubyte.gz'))).subarray(16);
  const labels = zlib.gunzipSync(fs.readFileSync(path.join(source, 't10k-labels-idx1-ubyte.gz'))).subarray(8);
  const [mean, std] = [Math.fround(0.2860), Math.fround(0.3530)];
  const images = Float32Array.from(pixels, (p) => Math.fround(Math.fround(Math.fround(p / 255) - mean) / std));
  const folder = path.join(root, 'build/bench');
  fs.mkdirSync(folder, { recursive: true });
  const set = { images: path.join(folder, 't10k_images.npy'), labels: path.join(folder, 't10k_labels.npy'), classes: [...labels] };
  writeNpy(set.images, '<f4', [labels.length, 1, 28, 28], images);
  writeNpy(set.labels, '<i8', [labels.length], BigInt64Array.from(labels, (l) => BigInt(l)));
  return set;
}

function writeNpy(file, descr, shape, values) {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header = header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11) + '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 'latin1');
  prefix.writeUInt8(1, 6);
  prefix.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([prefix, Buffer.from(header, 'latin1'), Buffer.from(values.buffer)]));
}

// Which layers each recipe quantizes. ONNX Runtime's quantize_dynamic takes every MatMul, Gemm,
// Conv and LSTM; PyTorch's quantize_dynamic({nn.Linear, nn.LSTM}) leaves the patch-embedding
// Conv and nn.MultiheadAttention's projections float, so qplay also runs with those excluded.
const pytorchLayersOnly = {
  transformer: ['/embed/Conv', ...[0, 1].flatMap((b) => [`/blocks.${b}/attn/MatMul`, `/blocks.${b}/attn/Gemm`])].flatMap((n) => ['--exclude', n]),
  lstm: [],
};

const testSet = writeTestSet();
const engines = (name) => Object.entries(reference[name].engines);
const pairedRows = [];
for (const [title, set, key, digits] of [['1000 evaluation images', evaluationSet, 'evaluation', 1], ['all 10000 test images', testSet, 'test', 2]]) {
  const rows = [];
  for (const name of ['transformer', 'lstm']) {
    const recipes = [['every MatMul/Gemm/Conv/LSTM (ONNX Runtime\'s set)', ['--mode', 'dynamic']]];
    if (pytorchLayersOnly[name].length) recipes.push(['PyTorch\'s layers only', ['--mode', 'dynamic', ...pytorchLayersOnly[name]]]);
    let float = null;
    for (const [layers, options] of recipes)
      for (const [weights, extra] of [['per tensor', []], ['per channel', ['--per-channel']]]) {
        const m = measure(name, [...options, ...extra], set);
        if (float === null) rows.push([`${name}: float`, pct(m.float, digits), '', '', '']);
        float = m.float;
        const label = `${name}: qplay, ${layers}, ${weights}`;
        rows.push(cells(label, m, float, digits));
        if (set === testSet) pairedRows.push([label, ...engines(name).map(([, r]) => pairedCell(m, r.dynamic_fidelity.test))]);
      }
    for (const [engine, r] of engines(name))
      rows.push(cells(`${name}: PyTorch ${engine}`, r.dynamic_fidelity[key], float, digits));
  }
  printTable(`Dynamic (int8 weights, activations quantized per batch of 1000): ${title}`, rows);
}

function pairedCell(ours, pytorch) {
  const { onlyA, onlyB, p } = pairedComparison(ours.disagreements, pytorch.disagreements, testSet.classes);
  // The split must account for the whole accuracy difference; it would not if the two float
  // models classified some image differently.
  if (onlyA - onlyB !== Math.round((ours.accuracy - pytorch.accuracy) * testSet.classes.length))
    throw new Error(`paired counts ${onlyA} / ${onlyB} do not match accuracies ${ours.accuracy} and ${pytorch.accuracy}`);
  return `${onlyA} / ${onlyB} (p = ${p.toFixed(2)})`;
}

console.log('Dynamic, paired with PyTorch on all 10000 test images: images only qplay classifies right / only PyTorch does (exact McNemar p; p > 0.05: no measurable difference in accuracy)\n');
console.log(`| recipe | ${engines('lstm').map(([engine]) => `PyTorch ${engine}`).join(' | ')} |`);
console.log(`| --- | ${engines('lstm').map(() => '---').join(' | ')} |`);
for (const cells of pairedRows) console.log(`| ${cells.join(' | ')} |`);
