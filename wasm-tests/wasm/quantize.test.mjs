// Static quantization through the wasm API: every model it writes (QDQ and QOperator, every
// preset) loads and runs in onnxruntime-node and onnxruntime-web, and agrees with qplay's
// own execution of it within one quantization step on at least 99.9% of elements.
import fs from 'node:fs';
import path from 'node:path';
import { createOrtNodeSession, ort as ortNode } from '../ort-node.mjs';
import * as ortWeb from 'onnxruntime-web';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadQplay, repoRoot } from './load-qplay.mjs';

const examples = path.join(repoRoot, 'examples');
let qp;
let calibration;
let evaluation;
beforeAll(async () => {
  qp = await loadQplay();
  ortWeb.env.wasm.numThreads = 1;
  calibration = qp.parseNpy(fs.readFileSync(path.join(examples, 'data/calibration_images.npy')));
  const all = qp.parseNpy(fs.readFileSync(path.join(examples, 'data/evaluation_images.npy')));
  evaluation = { data: all.data.slice(0, 200 * 784), dims: [200, 1, 28, 28], type: 'float32' };
});

// Fraction of elements where |a - b| is within `tolerance`.
function withinFraction(a, b, tolerance) {
  let ok = 0;
  for (let i = 0; i < a.length; i++) ok += Number(Math.abs(a[i] - b[i]) <= tolerance);
  return ok / a.length;
}

// `model` fine-tuned for two epochs on 64 labelled calibration samples and quantized.
function trained(model, config) {
  const labels = qp.parseNpy(fs.readFileSync(path.join(examples, 'data/calibration_labels.npy')));
  const x = { data: calibration.data.slice(0, 64 * 784), dims: [64, 1, 28, 28] };
  const y = { data: labels.data.slice(0, 64), dims: [64], type: 'int64' };
  const { qat, ...recipe } = config;
  const session = model.qat(recipe, x, y, null, null, { learningRate: 1e-4, batchSize: 16, optimizer: 'adam' });
  session.epoch();
  session.epoch();
  const quantized = session.finish();
  session.delete();
  return quantized;
}

// One quantization step of a float output: the uint8 scale a MinMax calibration of it would
// choose. Both runtimes execute the same integer operators (qplay fuses Q/DQ groups as
// onnxruntime does), so they may differ only where float rounding lands on another level.
function oneStep(values) {
  let lo = 0;
  let hi = 0;
  for (const v of values) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  return (hi - lo) / 255;
}

// Models of tests/models (random weights); the others are the bundled examples.
const testModels = ['decoder', 'gru'];

// Each case: model, what the recipe is, the recipe, onnxruntime session options.
describe.each(/** @type {[string, string, Record<string, any>, Record<string, any>?][]} */ ([
  ['cnn', 'per-tensor MinMax', { calibrate_method: 'MinMax' }],
  ['cnn', 'per-channel MinMax', { calibrate_method: 'MinMax', per_channel: true }],
  ['cnn', 'per-channel entropy', { calibrate_method: 'Entropy', per_channel: true }],
  ['cnn', 'int8 activations, percentile', { calibrate_method: 'Percentile', activation_type: 'QInt8', per_channel: true }],
  ['cnn', 'int16 activations (com.microsoft Q/DQ)', { activation_type: 'QInt16', per_channel: true }],
  ['cnn', 'the tflite preset', { backend: 'tflite' }],
  ['cnn', 'the tensorrt preset', { backend: 'tensorrt' }],
  ['cnn', 'the xnnpack preset', { backend: 'xnnpack', calibrate_method: 'Percentile' }],
  ['transformer', 'per-channel MinMax', { calibrate_method: 'MinMax', per_channel: true }],
  ['transformer', 'the tflite preset', { backend: 'tflite' }],
  ['lstm', 'per-tensor MSE', { calibrate_method: 'mse' }],
  ['cnn', 'the onnxruntime-qoperator preset, per channel', { backend: 'onnxruntime-qoperator', per_channel: true }],
  // onnxruntime-node's widened x64 kernels (ort-node.mjs) have no QGemm for this model's types; s8s8 does not saturate anyway.
  ['cnn', 'QOperator with int8 activations', { quant_format: 'QOperator', activation_type: 'QInt8', per_channel: true },
    { extra: { session: { x64quantprecision: '0' } } }],
  ['transformer', 'the onnxruntime-qoperator preset', { backend: 'onnxruntime-qoperator', per_channel: true }],
  ['lstm', 'the onnxruntime-qoperator preset', { backend: 'onnxruntime-qoperator' }],
  // ConvTranspose (plain and grouped), Concat, LeakyRelu, Sigmoid, Mul, AveragePool.
  ['decoder', 'per-channel MinMax', { per_channel: true }],
  ['decoder', 'the onnxruntime-qoperator preset', { backend: 'onnxruntime-qoperator', per_channel: true }],
  ['decoder', 'the tflite preset', { backend: 'tflite' }],
  // Dynamic quantization: DynamicQuantizeLinear + ConvInteger/MatMulInteger, no calibration.
  ['cnn', 'dynamic, per channel', { mode: 'dynamic', per_channel: true }],
  ['transformer', 'dynamic, attention MatMuls too', { mode: 'dynamic', extra_options: { MatMulConstBOnly: false } }],
  ['lstm', 'dynamic', { mode: 'dynamic' }],
  // A bidirectional GRU, and an LSTM with uint8 weights: the float cell reads its weights
  // through DequantizeLinear.
  ['lstm', 'dynamic, uint8 asymmetric weights', { mode: 'dynamic', weight_type: 'QUInt8', extra_options: { WeightSymmetric: false } }],
  ['gru', 'dynamic', { mode: 'dynamic' }],
  ['gru', 'dynamic, per channel', { mode: 'dynamic', per_channel: true }],
  // Weight-only: 4-bit blocks as com.microsoft MatMulNBits; 8-bit per channel behind
  // DequantizeLinear, which onnxruntime fuses into MatMulNBits computing at its default
  // accuracy level 4 (activations rounded to int8) unless told level 0, as here.
  ['transformer', 'weight-only 4-bit, blocks of 32', { mode: 'weight_only', weight_bits: 4, block_size: 32 }],
  ['cnn', 'weight-only 4-bit asymmetric, blocks of 16', { mode: 'weight_only', weight_bits: 4, block_size: 16, extra_options: { WeightSymmetric: false } }],
  ['transformer', 'weight-only 8-bit', { mode: 'weight_only', weight_bits: 8 }, { extra: { session: { qdq_matmulnbits_accuracy_level: '0' } } }],
  // 8-bit blocks as MatMulNBits (QOperator format), and accuracy level 4: activations rounded
  // to int8 per block, by onnxruntime-node's x64 kernel and by qplay's engine alike;
  // onnxruntime-web computes in float at any level, 99.5% of logits within a step of qplay's.
  ['transformer', 'weight-only 8-bit blocks of 64', { mode: 'weight_only', weight_bits: 8, block_size: 64, quant_format: 'QOperator' }],
  ['transformer', 'weight-only 4-bit at accuracy level 4', { mode: 'weight_only', weight_bits: 4, block_size: 32, accuracy_level: 4 }, {}, 0.995],
  ['transformer', 'weight-only 8-bit blocks at accuracy level 4', { mode: 'weight_only', weight_bits: 8, quant_format: 'QOperator', accuracy_level: 4 }, {}, 0.995],
  // Quantization-aware training: two epochs on 64 labelled calibration samples, then the QDQ model.
  ['cnn', 'quantization-aware training', { qat: true }],
  ['transformer', 'quantization-aware training, per channel', { qat: true, per_channel: true }],
  ['lstm', 'quantization-aware training', { qat: true }],
]))('%s quantized with %s', (name, _, config, ortOptions = {}, webAgreement = 0.999) => {
  let tolerance;
  let bytes;
  let ours;
  beforeAll(() => {
    const file = testModels.includes(name) ? path.join(repoRoot, `tests/models/${name}.onnx`) : path.join(examples, `models/${name}.onnx`);
    const model = qp.loadModel(fs.readFileSync(file));
    let calls = 0;
    const quantized = config.qat ? trained(model, config) : model.quantize({ ...config, calibration_limit: 100 }, { input: calibration }, (done, total) => {
      calls++;
      expect(total).toBe(100);
      return true;
    });
    if (!config.qat) expect(calls).toBe(config.mode ? 0 : 100);  // dynamic and weight-only need no calibration
    bytes = quantized.save();
    ours = quantized.run({ input: evaluation }).logits;
    tolerance = oneStep(ours.data);
    quantized.delete();
    model.delete();
  });

  test('onnxruntime-node runs it and agrees with qplay', async () => {
    const session = await createOrtNodeSession(bytes, ortOptions);
    const { logits } = await session.run({ input: new ortNode.Tensor('float32', evaluation.data, evaluation.dims) });
    expect(withinFraction(logits.data, ours.data, tolerance)).toBeGreaterThanOrEqual(0.999);
  });

  test('onnxruntime-web runs it and agrees with qplay', async () => {
    const session = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'], ...ortOptions });
    const { logits } = await session.run({ input: new ortWeb.Tensor('float32', evaluation.data, evaluation.dims) });
    expect(withinFraction(logits.data, ours.data, tolerance)).toBeGreaterThanOrEqual(webAgreement);
  });
});

test('evaluate() reports accuracy, agreement and SQNR like qplay eval', () => {
  const model = qp.loadModel(fs.readFileSync(path.join(examples, 'models/cnn.onnx')));
  const quantized = model.quantize({ per_channel: true, calibration_limit: 50 }, { input: calibration }, null);
  const labels = qp.parseNpy(fs.readFileSync(path.join(examples, 'data/evaluation_labels.npy')));
  const firstLabels = { data: labels.data.slice(0, 200), dims: [200], type: 'int64' };
  const progress = [];
  const report = model.evaluate(evaluation, firstLabels, quantized, (done, total) => progress.push([done, total]));
  expect(progress).toEqual([[100, 200], [200, 200]]);
  expect(report.samples).toBe(200);
  expect(report.accuracy).toBeGreaterThan(0.85);
  expect(report.compare.accuracy).toBeGreaterThan(report.accuracy - 0.02);
  expect(report.compare.agreement).toBeGreaterThan(0.97);
  expect(report.compare.outputs.logits.sqnr_db).toBeGreaterThan(20);
  expect(report.compare.disagreements.length).toBe(Math.round(200 * (1 - report.compare.agreement)));
  for (const { sample, reference, test } of report.compare.disagreements) {
    expect(reference).not.toBe(test);
    expect(sample).toBeLessThan(200);
  }
  expect(model.evaluate(evaluation, null, null, null)).toEqual({ samples: 200 });
  expect(() => model.evaluate(evaluation, { data: new BigInt64Array(3), dims: [3] }, null, null)).toThrow('3 labels for 200 samples');
  expect(() => model.evaluate(evaluation, null, null, () => false)).toThrow('evaluation cancelled');
  quantized.delete();
  model.delete();
});

test('analyze() ranks every quantized activation and weight by its error, worst first', () => {
  const model = qp.loadModel(fs.readFileSync(path.join(examples, 'models/cnn.onnx')));
  const quantized = model.quantize({ per_channel: true, calibration_limit: 50 }, { input: calibration }, null);
  const report = model.analyze(evaluation, quantized, null);
  expect(report.samples).toBe(200);
  expect(report.activations.length).toBeGreaterThan(5);
  expect(report.weights.map((w) => w.tensor)).toContain('fc.weight');
  for (const list of [report.activations, report.weights])
    for (let i = 1; i < list.length; i++) expect(list[i - 1].sqnr_db).toBeLessThanOrEqual(list[i].sqnr_db);
  expect(report.activations[0]).toMatchObject({ node: expect.any(String), op_type: expect.any(String), cosine: expect.any(Number) });
  const { histogram } = report.activations[0];
  expect(histogram.float.length).toBe(histogram.dequantized.length);
  expect(histogram.lo).toBeLessThan(histogram.clip_range[0]);
  expect(histogram.hi).toBeGreaterThan(histogram.clip_range[1]);
  expect(() => model.analyze(evaluation, model, null)).toThrow('the compared model has no QuantizeLinear/DequantizeLinear pairs');
  quantized.delete();
  model.delete();
});

test('report() holds the analyzer\'s whole versioned report', () => {
  const model = qp.loadModel(fs.readFileSync(path.join(examples, 'models/cnn.onnx')));
  const quantized = model.quantize({ per_channel: true, calibration_limit: 30 }, { input: calibration }, null);
  const labels = qp.parseNpy(fs.readFileSync(path.join(examples, 'data/evaluation_labels.npy')));
  const firstLabels = { data: labels.data.slice(0, 200), dims: [200], type: 'int64' };
  let calls = 0;
  const report = model.report(quantized, evaluation, firstLabels, () => ++calls > 0);
  expect(report.format).toBe('qplay-analysis');
  expect(report.version).toBe(1);
  expect(calls).toBe(5);
  expect(report.evaluation.compare.accuracy).toBeGreaterThan(0.85);
  expect(report.layers.map((l) => l.kind)).toContain('weight');
  expect(report.layers[0].sqnr_db).toBeLessThanOrEqual(report.layers.at(-1).sqnr_db);
  expect(report.activation_ranges.length).toBe(report.layers.filter((l) => l.kind === 'activation').length);
  // The float profile runs the optimized model: most convolutions have their Relu fused in.
  const floatOps = report.profile.float.op_types;
  expect(report.profile.quantized.op_types.QLinearConv.macs).toBe(floatOps.Conv.macs + floatOps['com.microsoft.FusedConv'].macs);
  expect(() => model.report(quantized, evaluation, null, () => false)).toThrow('analysis cancelled');
  quantized.delete();
  model.delete();
});

test('profile() times every node and counts the matrix ops\' multiply-accumulates', () => {
  const model = qp.loadModel(fs.readFileSync(path.join(examples, 'models/cnn.onnx')));
  const profile = model.profile({ data: evaluation.data.slice(0, 4 * 784), dims: [4, 1, 28, 28] });
  // Nodes as the optimized session runs them: BatchNormalization folded, Relu fused into FusedConv.
  expect(profile.nodes.length).toBe(Object.values(profile.op_types).reduce((n, op) => n + op.count, 0));
  expect(profile.nodes.length).toBeLessThan(model.info().node_count);
  expect(profile.op_types['com.microsoft.FusedConv'].macs).toBeGreaterThan(0);
  expect(profile.total_ms).toBeGreaterThan(0);
  expect(profile.parameter_bytes).toBeGreaterThan(100000);
  expect(() => model.profile({ data: new Float32Array(3), dims: [3] })).toThrow("data: input 'input' is float32 [batch, 1, 28, 28] but its array is [3]");
  model.delete();
});

test('sensitivity() ranks nodes and falls back to a target, float or int16', () => {
  const model = qp.loadModel(fs.readFileSync(path.join(examples, 'models/cnn.onnx')));
  const labels = qp.parseNpy(fs.readFileSync(path.join(examples, 'data/evaluation_labels.npy')));
  const firstLabels = { data: labels.data.slice(0, 200), dims: [200], type: 'int64' };
  const steps = [];
  const report = model.sensitivity({ calibration_limit: 30 }, { input: calibration }, evaluation, firstLabels,
    { maxAccuracyDrop: 0.5 }, (done, total) => steps.push([done, total]));
  const nodes = report.nodes.length;
  expect(nodes).toBeGreaterThan(5);
  expect(report.nodes[0].alone.sqnr_db).toBeLessThanOrEqual(report.nodes[1].alone.sqnr_db);
  expect(report.fallback.met).toBe(true);
  expect(report.fallback.kept_as).toBe('float');
  expect(report.fallback.evaluation.accuracy - report.fallback.evaluation.compare.accuracy).toBeLessThanOrEqual(0.005 + 1e-9);
  // One task: the nodes ranked, then one step per node the fallback keeps float.
  expect(steps).toEqual(Array.from({ length: nodes + report.fallback.kept_nodes.length }, (_, i) => [i + 1, 2 * nodes + 1]));
  const fallbackModel = qp.loadModel(report.model);
  expect(fallbackModel.nodes().map((n) => n.name)).toEqual(expect.arrayContaining(report.fallback.kept_nodes));
  expect(model.evaluate(evaluation, firstLabels, fallbackModel, null).compare.accuracy).toBe(report.fallback.evaluation.compare.accuracy);
  fallbackModel.delete();
  const int16 = model.sensitivity({ calibration_limit: 30 }, { input: calibration }, evaluation, null,
    { minSqnrDb: 25, keepAs: 'int16' }, () => true);
  expect(int16.fallback.kept_as).toBe('int16');
  expect(int16.fallback.size_bytes.quantized).toBeLessThan(int16.fallback.size_bytes.float);
  // A target that cannot be searched for is refused before the ranking starts.
  const rankingSteps = [];
  const countSteps = (done) => rankingSteps.push(done);
  expect(() => model.sensitivity({ calibration_limit: 30 }, { input: calibration }, evaluation, null, {}, countSteps)).toThrow(
    'a fallback needs a target',
  );
  expect(() => model.sensitivity({ calibration_limit: 30 }, { input: calibration }, evaluation, null, { minAgreement: 1.5 },
    countSteps)).toThrow('the minimum agreement must be between 0% and 100%, got 150%');
  expect(() => model.sensitivity({ calibration_limit: 30, quant_format: 'QOperator' }, { input: calibration }, evaluation, null,
    { minSqnrDb: 30, keepAs: 'int16' }, countSteps)).toThrow('keeping nodes in int16 activations needs the QDQ format');
  expect(rankingSteps).toEqual([]);
  expect(() => model.sensitivity({ calibration_limit: 30 }, { input: calibration }, evaluation, null, { minSqnrDb: 30, keepAs: 8 },
    () => true)).toThrow("keepAs must be 'float' or 'int16', got 'a number'");
  expect(() => model.sensitivity({ calibration_limit: 30 }, { input: calibration }, evaluation, null, null, () => false)).toThrow(
    'sensitivity analysis cancelled',
  );
  expect(() => model.sensitivity({ calibration_limit: 30 }, { input: calibration }, evaluation, null, { minSqnrDb: 60 },
    (done, total) => done < total / 2)).toThrow('the fallback search was cancelled');
  model.delete();
});

test('rangeChoices() draws every calibration method over one histogram', () => {
  const model = qp.loadModel(fs.readFileSync(path.join(examples, 'models/cnn.onnx')));
  const [relu] = model.rangeChoices(['/relu/Relu_output_0'], { input: calibration }, { limit: 20, bins: 32, percentile: 99 });
  expect(relu.histogram.counts.length).toBe(32);
  expect(Object.keys(relu.methods).sort()).toEqual(['entropy', 'minmax', 'moving-average', 'mse', 'percentile']);
  expect(relu.methods.minmax.clipped_fraction).toBe(0);
  expect(relu.methods.percentile.max).toBeLessThan(relu.methods.minmax.max);
  expect(() => model.rangeChoices(['no_such_tensor'], { input: calibration }, null)).toThrow('no_such_tensor');
  for (const bins of [0, -1, 2 ** 31, 2.5])
    expect(() => model.rangeChoices(['/relu/Relu_output_0'], { input: calibration }, { bins })).toThrow(
      `bins must be a whole number from 1 to 65536, got ${bins}`);
  model.delete();
});

test('bad configurations and cancellation give errors and leave the model usable', () => {
  const model = qp.loadModel(fs.readFileSync(path.join(examples, 'models/cnn.onnx')));
  expect(() => model.quantize({ per_chanel: true }, { input: calibration }, null)).toThrow("unknown config key 'per_chanel'");
  expect(() => model.quantize({}, { input: calibration }, () => false)).toThrow('calibration cancelled');
  expect(() => model.quantize({}, { image: calibration }, null)).toThrow("calibration: array 'image' feeds no input of the model (its inputs: 'input')");
  const nan = { data: new Float32Array(784).fill(NaN), dims: [1, 1, 28, 28] };
  expect(() => model.quantize({}, { input: nan }, null)).toThrow("calibration sample 0 of input 'input' contains NaN at element 0");
  expect(model.run({ input: evaluation }).logits.dims).toEqual([200, 10]);
  model.delete();
});

test('layers() marks what a config quantizes before any calibration', () => {
  const model = qp.loadModel(fs.readFileSync(path.join(examples, 'models/cnn.onnx')));
  const layers = model.layers({});
  expect(layers.length).toBe(model.info().node_count);
  const fateOf = (op) => new Set(layers.filter((l) => l.op_type === op).map((l) => l.fate));
  expect(fateOf('BatchNormalization')).toEqual(new Set(['folded']));
  expect(fateOf('Conv')).toEqual(new Set(['quantized']));
  const gemm = layers.find((l) => l.op_type === 'Gemm').node;
  expect(model.layers({ nodes_to_exclude: [gemm] }).find((l) => l.node === gemm).fate).toBe('float');
  expect(() => model.layers({ backend: 'nonesuch' })).toThrow(/nonesuch/);
  model.delete();
});

test('qat() trains an epoch at a time and finishes with the best epoch quantized', () => {
  const model = qp.loadModel(fs.readFileSync(path.join(examples, 'models/cnn.onnx')));
  const labels = qp.parseNpy(fs.readFileSync(path.join(examples, 'data/calibration_labels.npy')));
  const x = { data: calibration.data.slice(0, 32 * 784), dims: [32, 1, 28, 28] };
  const y = { data: labels.data.slice(0, 32), dims: [32], type: 'int64' };
  const session = model.qat({}, x, y, x, y, { learningRate: 1e-4, batchSize: 16 });
  const first = session.epoch(), second = session.epoch();
  expect(first).toMatchObject({ epoch: 1, loss: expect.any(Number), accuracy: expect.any(Number) });
  expect(second.epoch).toBe(2);
  expect(session.best().accuracy).toBe(Math.max(first.accuracy, second.accuracy));
  const quantized = session.finish();
  expect(quantized.info().op_histogram.QuantizeLinear).toBeGreaterThan(3);
  expect(quantized.run({ input: { data: x.data.slice(0, 784), dims: [1, 1, 28, 28] } }).logits.dims).toEqual([1, 10]);
  expect(() => model.qat({}, x, { data: labels.data.slice(0, 5), dims: [5], type: 'int64' }, null, null, {}))
    .toThrow('5 labels for 32 training samples');
  for (const m of [quantized, session, model]) m.delete();
});

test('a collapsed input range widens weight scales instead of saturating int32 biases, and onnxruntime agrees', async () => {
  const model = qp.loadModel(fs.readFileSync(path.join(examples, 'models/cnn.onnx')));
  const tiny = (set) => ({ ...set, data: set.data.map((v) => v * 1e-9) });
  const quantized = model.quantize({ per_channel: true, calibration_limit: 50 }, { input: tiny(calibration) }, null);
  const notes = quantized.notes();
  expect(notes.length).toBeGreaterThan(0);
  expect(notes[0]).toMatchObject({ kind: 'adjusted', tensor: expect.any(String), node: expect.any(String) });
  expect(notes[0].message).toMatch(/^widened \d+ of \d+ weight scales so that bias '.+' fits int32 at the input's scale/);
  const input = tiny(evaluation);
  const ours = quantized.run({ input }).logits;
  const float = model.run({ input }).logits;
  // The biases carry the output when the input is ~0; saturated biases would have lost them.
  expect(withinFraction(ours.data, float.data, oneStep(float.data) * 2)).toBeGreaterThanOrEqual(0.99);
  const session = await createOrtNodeSession(quantized.save());
  const { logits } = await session.run({ input: new ortNode.Tensor('float32', input.data, input.dims) });
  expect(withinFraction(logits.data, ours.data, oneStep(ours.data))).toBeGreaterThanOrEqual(0.999);
  expect(model.quantize({ calibration_limit: 20 }, { input: calibration }, null).notes()).toEqual([]);
  quantized.delete();
  model.delete();
});
