// The page's Engine API served in this thread (CoreEngine), as the worker serves it: the
// same promises the page awaits, tested in Node.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, expect, test, vi } from 'vitest';
import { CoreEngine } from '../../web/src/engine/core-engine.ts';
import { conformanceRoot, loadQplay, repoRoot } from './load-qplay.mjs';

const examples = path.join(repoRoot, 'examples');
const bytesOf = (file) => {
  const b = fs.readFileSync(path.join(examples, file));
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
};

let engine;
beforeAll(async () => {
  engine = new CoreEngine(await loadQplay());
  await engine.loadModel(bytesOf('models/cnn.onnx'));
  const tensor = async (file) => engine.parseNpy(bytesOf(file));
  await engine.setSamples('calibration', await tensor('data/calibration_images.npy'), await tensor('data/calibration_labels.npy'));
  await engine.setSamples('evaluation', await tensor('data/evaluation_images.npy'), await tensor('data/evaluation_labels.npy'));
});

test('quantize, evaluate, analyze and time, with progress', async () => {
  const progress = [];
  const quantized = await engine.quantize({ per_channel: true }, (done, total) => progress.push([done, total]));
  expect(progress.at(-1)).toEqual([200, 200]);
  expect(new Uint8Array(quantized.bytes.slice(0, 2))).toEqual(new Uint8Array([8, 7]));  // ir_version field
  expect(quantized.info.op_histogram.QuantizeLinear).toBeGreaterThan(0);

  const evaluated = [];
  const report = await engine.evaluate((done) => evaluated.push(done));
  expect(evaluated.at(-1)).toBe(1000);
  expect(report.accuracy).toBeCloseTo(0.931, 3);
  expect(report.compare.accuracy).toBeGreaterThan(0.92);

  const analysis = await engine.analyze();
  expect(analysis.samples).toBe(200);
  expect(analysis.activations[0].histogram.float.length).toBe(64);

  const latency = await engine.latency();
  expect(latency.float_ms).toBeGreaterThan(0);
  expect(latency.quantized_ms).toBeGreaterThan(0);
});

test('latency reads a model faster than a clock coarsened to 1 ms', async () => {
  const now = performance.now.bind(performance);
  const coarse = vi.spyOn(performance, 'now').mockImplementation(() => Math.floor(now()));
  try {
    const latency = await engine.latency();
    expect(latency.float_ms).toBeGreaterThan(0);
    expect(latency.float_ms).toBeLessThan(5);  // the CNN runs in well under a millisecond
    expect(latency.quantized_ms).toBeGreaterThan(0);
  } finally {
    coarse.mockRestore();
  }
});

test('a quantized model written before can be compared again', async () => {
  const { bytes } = await engine.quantize({});
  const first = await engine.evaluate();
  await engine.setQuantized(bytes);
  expect(await engine.evaluate()).toEqual(first);
});

test.each([
  [{ mode: 'dynamic' }, 'DynamicQuantizeLinear'],
  [{ mode: 'weight_only' }, null],
  [{ quant_format: 'QOperator' }, 'QLinearConv'],
])('%j quantizes and evaluates; the layer analysis runs or says why not', async (config, op) => {
  const { info } = await engine.quantize(config);
  if (op) expect(info.op_histogram[op]).toBeGreaterThan(0);
  const report = await engine.evaluate();
  expect(report.compare.agreement).toBeGreaterThan(0.9);
  await engine.analyze().then((a) => expect(a.samples).toBe(200), (e) => expect(e.message).toMatch(/has no QuantizeLinear\/DequantizeLinear/));
});

test('one sample comes back as its own tensor', async () => {
  const sample = await engine.sample('evaluation', 3);
  expect(sample.dims).toEqual([1, 1, 28, 28]);
  expect(sample.data.length).toBe(784);
  await expect(engine.sample('evaluation', 1000)).rejects.toThrow('the evaluation set has no sample 1000');
});

test('bad input is named and the loaded model stays', async () => {
  await expect(engine.loadModel(new ArrayBuffer(3))).rejects.toThrow(/not an ONNX model|truncated/);
  const unsupported = fs.readFileSync(path.join(conformanceRoot, 'node/test_tfidfvectorizer_tf_only_bigrams_skip0/model.onnx'));
  await expect(engine.loadModel(unsupported.buffer.slice(unsupported.byteOffset, unsupported.byteOffset + unsupported.length)))
    .rejects.toThrow(/^cannot run node '.*' \(TfIdfVectorizer\): op TfIdfVectorizer is not supported/);
  expect((await engine.layers({})).length).toBe(18);
  await expect(engine.setSamples('evaluation', { data: new Float32Array(0), dims: [0, 1, 28, 28] }, null)).rejects.toThrow('the evaluation set is empty');
  await expect(engine.setSamples('calibration', { data: new Float32Array(784 * 2), dims: [2, 1, 28, 28] }, { data: new BigInt64Array(3), dims: [3] }))
    .rejects.toThrow('the calibration set has 2 samples but 3 labels');
  await expect(engine.quantize({ calibrate_method: 'nonesuch' })).rejects.toThrow(/nonesuch/);
  expect((await engine.evaluate()).samples).toBe(1000);
});

test('qat trains on the labelled calibration samples epoch by epoch, stops when asked, and keeps the best epoch', async () => {
  const rows = async (file, count) => {
    const t = await engine.parseNpy(bytesOf(file));
    return { ...t, data: t.data.slice(0, count * (t.data.length / t.dims[0])), dims: [count, ...t.dims.slice(1)] };
  };
  await engine.setSamples('calibration', await rows('data/calibration_images.npy', 32), await rows('data/calibration_labels.npy', 32));
  await engine.setSamples('evaluation', await rows('data/evaluation_images.npy', 50), await rows('data/evaluation_labels.npy', 50));
  const seen = [];
  const result = await engine.qat({}, { epochs: 4, learningRate: 1e-4, optimizer: 'sgd', batchSize: 16 }, (done, total, report) => {
    seen.push([done, total, report]);
    if (done === 2) engine.stopQat();
  });
  expect(seen.map(([done, total]) => [done, total])).toEqual([[1, 4], [2, 4]]);
  expect(result.epochs.length).toBe(2);
  expect(result.best.accuracy).toBe(Math.max(...result.epochs.map((e) => e.accuracy)));
  expect(result.info.op_histogram.QuantizeLinear).toBeGreaterThan(3);
  const report = await engine.evaluate();  // the QAT model is now the engine's quantized model
  expect(report.compare.accuracy).toBeCloseTo(result.best.accuracy, 1);
});

// The page keeps a dropped .npy or .npz in its File: the engine reads its rows as it runs.
test('sets that are rows of a file give what the same sets in memory give', async () => {
  const images = fs.readFileSync(path.join(examples, 'data/evaluation_images.npy'));
  const file = new File([images], 'evaluation_images.npy');
  const streaming = new CoreEngine(await loadQplay(), (blob, offset, length) => {
    expect(blob).toBe(file);
    return new Uint8Array(images.buffer, images.byteOffset + offset, length);
  });
  await streaming.loadModel(bytesOf('models/cnn.onnx'));
  const labels = await engine.parseNpy(bytesOf('data/evaluation_labels.npy'));
  const rows = (start, count) => ({ file, start, dims: [count, 1, 28, 28], type: 'float32' });
  const slice = (t, start, count) => ({ data: t.data.slice(start, start + count), dims: [count] });
  await streaming.setSamples('calibration', rows(0, 300), slice(labels, 0, 300));
  await streaming.setSamples('evaluation', rows(300, 700), slice(labels, 300, 700));
  const all = await engine.parseNpy(bytesOf('data/evaluation_images.npy'));
  const tensor = (start, count) => ({ data: all.data.slice(start * 784, (start + count) * 784), dims: [count, 1, 28, 28] });
  const inMemory = new CoreEngine(await loadQplay());
  await inMemory.loadModel(bytesOf('models/cnn.onnx'));
  await inMemory.setSamples('calibration', tensor(0, 300), slice(labels, 0, 300));
  await inMemory.setSamples('evaluation', tensor(300, 700), slice(labels, 300, 700));
  for (const e of [streaming, inMemory]) await e.quantize({ per_channel: true });
  expect(await streaming.evaluate()).toEqual(await inMemory.evaluate());
  expect(await streaming.analyze()).toEqual(await inMemory.analyze());
  const [streamed, held] = [await streaming.sample('evaluation', 5), await inMemory.sample('evaluation', 5)];
  expect([streamed.dims, Array.from(streamed.data, Number)]).toEqual([held.dims, Array.from(held.data, Number)]);
  /** @type {import('../../web/src/engine/types').QatOptions} */
  const qat = { epochs: 1, learningRate: 1e-4, optimizer: 'sgd', batchSize: 32, lsq: false, observerSteps: 0 };
  expect((await streaming.qat({}, qat)).epochs).toEqual((await inMemory.qat({}, qat)).epochs);
});
