// The wasm API as a page or a Node script uses it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { createOrtNodeSession, ort } from '../ort-node.mjs';
import { conformanceRoot, loadQplay, repoRoot } from './load-qplay.mjs';

let qp;
beforeAll(async () => {
  qp = await loadQplay();
});

const modelPath = (name) => path.join(repoRoot, 'tests/models', name);

describe('loadModel / info / run / save', () => {
  test('runs a model and returns typed outputs', () => {
    const model = qp.loadModel(fs.readFileSync(path.join(conformanceRoot, 'node/test_relu/model.onnx')));
    const x = Float32Array.from({ length: 60 }, (_, i) => i - 30);
    const { y } = model.run({ x: { data: x, dims: [3, 4, 5] } });
    expect(y.type).toBe('float32');
    expect(y.dims).toEqual([3, 4, 5]);
    expect(y.data).toBeInstanceOf(Float32Array);
    expect(Array.from(y.data.slice(28, 33))).toEqual([0, 0, 0, 1, 2]);
    model.delete();
  });

  test('info() is a plain object with shapes, ops and parameters', () => {
    const model = qp.loadModel(fs.readFileSync(modelPath('cnn_bn.onnx')));
    const info = model.info();
    expect(info.inputs).toEqual([{ name: 'input', dtype: 'float32', shape: ['batch', 1, 28, 28] }]);
    expect(info.op_histogram.Conv).toBe(3);
    expect(info.parameter_count).toBe(386);
    expect(info.unsupported).toEqual([]);
    model.delete();
  });

  test('save() gives back the same bytes', () => {
    const bytes = fs.readFileSync(modelPath('transformer_block.onnx'));
    const model = qp.loadModel(new Uint8Array(bytes));
    expect(Buffer.from(model.save()).equals(bytes)).toBe(true);
    model.delete();
  });

  test('int64 and bool tensors cross the boundary', () => {
    const model = qp.loadModel(fs.readFileSync(path.join(conformanceRoot, 'node/test_not_2d/model.onnx')));
    const x = Uint8Array.from({ length: 12 }, (_, i) => Number(i % 3 === 0));
    const { not: out } = model.run({ x: { data: x, dims: [3, 4], type: 'bool' } });
    expect(out.type).toBe('bool');
    expect(Array.from(out.data)).toEqual(Array.from(x, (v) => 1 - v));
    model.delete();
    const shape = qp.loadModel(fs.readFileSync(path.join(conformanceRoot, 'node/test_shape/model.onnx')));
    const { y } = shape.run({ x: { data: new Float32Array(60), dims: [3, 4, 5] } });
    expect(y.data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(y.data, Number)).toEqual([3, 4, 5]);
    shape.delete();
  });
});

describe('bad input gives an Error naming the problem and leaves the module usable', () => {
  test('bytes that are not a model', () => {
    expect(() => qp.loadModel(new Uint8Array([8, 1, 2, 3, 250]))).toThrow(/not an ONNX model/);
    expect(() => qp.loadModel(new Uint8Array())).toThrow('model is empty (0 bytes)');
    expect(() => qp.loadModel('model.onnx')).toThrow('loadModel expects a Uint8Array or ArrayBuffer');
  });

  test('truncated model', () => {
    const bytes = fs.readFileSync(modelPath('lstm.onnx'));
    expect(() => qp.loadModel(bytes.subarray(0, bytes.length - 100))).toThrow(/truncated/);
  });

  test('wrong inputs at run time', () => {
    const model = qp.loadModel(fs.readFileSync(modelPath('lstm.onnx')));
    expect(() => model.run({})).toThrow("missing input 'input' (float32 [batch, 1, 28, 28])");
    expect(() => model.run({ input: { data: new Float32Array(10), dims: [1, 1, 28, 28] } })).toThrow(
      "input 'input' has 10 values but dims [1, 1, 28, 28] need 784",
    );
    expect(() => model.run({ input: { data: new Float32Array(784), dims: [1, 1, 14, 56] } })).toThrow(
      "input 'input' expects float32 [batch, 1, 28, 28] but got float32 [1, 1, 14, 56]",
    );
    const { logits } = model.run({ input: { data: new Float32Array(784), dims: [1, 1, 28, 28] } });
    expect(logits.dims).toEqual([1, 10]);
    model.delete();
  });

  test('a model with external data loads with its data file given by name', () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'qplay-external-'));
    execFileSync('/usr/bin/python3', ['-c', `import onnx
onnx.save(onnx.load(${JSON.stringify(path.join(repoRoot, 'examples/models/cnn.onnx'))}), ${JSON.stringify(path.join(folder, 'cnn.onnx'))},
          save_as_external_data=True, location='cnn.onnx.data', size_threshold=0)`]);
    const bytes = fs.readFileSync(path.join(folder, 'cnn.onnx'));
    const input = { input: { data: Float32Array.from({ length: 784 }, (_, i) => Math.sin(i)), dims: [1, 1, 28, 28] } };
    const reference = qp.loadModel(fs.readFileSync(path.join(repoRoot, 'examples/models/cnn.onnx')));
    const external = qp.loadModel(bytes, { 'cnn.onnx.data': fs.readFileSync(path.join(folder, 'cnn.onnx.data')) });
    expect(external.info().parameter_count).toBe(reference.info().parameter_count);
    expect(external.run(input).logits.data).toEqual(reference.run(input).logits.data);
    expect(() => qp.loadModel(bytes)).toThrow(/keeps its data in the external file 'cnn.onnx.data'; load the model together with that file/);
    expect(() => qp.loadModel(bytes, { 'other.data': new Uint8Array(4) })).toThrow(/the external data file 'cnn.onnx.data' was not given with the model/);
    external.delete();
    reference.delete();
  });

  test('a quantized model saves with its tensors in a data file, which qplay and onnxruntime-node read back', async () => {
    const model = qp.loadModel(fs.readFileSync(path.join(repoRoot, 'examples/models/cnn.onnx')));
    const input = { input: { data: Float32Array.from({ length: 784 }, (_, i) => Math.sin(i)), dims: [1, 1, 28, 28] } };
    const quantized = model.quantize({ per_channel: true }, input, null);
    const { model: bytes, files } = quantized.saveWithExternalData('cnn_int8.onnx.data');
    expect(Object.keys(files)).toEqual(['cnn_int8.onnx.data']);
    expect(bytes.length).toBeLessThan(quantized.save().length / 2);
    const reloaded = qp.loadModel(bytes, files);
    expect(reloaded.run(input).logits.data).toEqual(quantized.run(input).logits.data);
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'qplay-external-save-'));
    fs.writeFileSync(path.join(folder, 'cnn_int8.onnx'), bytes);
    fs.writeFileSync(path.join(folder, 'cnn_int8.onnx.data'), files['cnn_int8.onnx.data']);
    const session = await createOrtNodeSession(path.join(folder, 'cnn_int8.onnx'));
    const theirs = await session.run({ input: new ort.Tensor('float32', input.input.data, input.input.dims) });
    const ours = reloaded.run(input).logits.data;
    const logits = Array.from(theirs.logits.data, Number);
    const step = (Math.max(...logits, 0) - Math.min(...logits, 0)) / 255;  // one uint8 step of the output
    logits.forEach((v, i) => expect(Math.abs(v - ours[i])).toBeLessThanOrEqual(step * 1.0001));
    for (const m of [reloaded, quantized, model]) m.delete();
  });

  test('run() reports progress by node and cancels when progress returns false', () => {
    const model = qp.loadModel(fs.readFileSync(path.join(repoRoot, 'examples/models/cnn.onnx')));
    const input = { input: { data: new Float32Array(784), dims: [1, 1, 28, 28] } };
    const heard = [];
    const { logits } = model.run(input, (done, total) => heard.push([done, total]));
    expect(logits.dims).toEqual([1, 10]);
    const nodes = heard[0][1];
    expect(heard).toEqual(Array.from({ length: nodes }, (_, i) => [i + 1, nodes]));
    expect(() => model.run(input, (done) => done < 2)).toThrow(`run cancelled after 2 of ${nodes} nodes`);
    expect(model.run(input, null).logits.data).toEqual(logits.data);  // the model stays usable
    model.delete();
  });

  test('an op the runtime lacks is named with its node', () => {
    const model = qp.loadModel(fs.readFileSync(path.join(conformanceRoot, 'node/test_tfidfvectorizer_tf_only_bigrams_skip0/model.onnx')));
    expect(model.info().unsupported[0]).toMatch(/op TfIdfVectorizer is not supported/);
    expect(() => model.run({ X: { data: new Int32Array(12), dims: [12], type: 'int32' } })).toThrow(
      /node '.*' \(TfIdfVectorizer\): op TfIdfVectorizer is not supported/,
    );
    model.delete();
  });
});

test('backends() lists each preset with the config it starts from', () => {
  const backends = qp.backends();
  expect(backends.map((b) => b.name)).toEqual(['onnxruntime', 'onnxruntime-qoperator', 'tflite', 'tensorrt', 'xnnpack']);
  const tensorrt = backends.find((b) => b.name === 'tensorrt');
  expect(tensorrt.description).toMatch(/TensorRT/);
  expect(tensorrt.defaults).toMatchObject({ activation_type: 'int8', per_channel: true, extra_options: { ActivationSymmetric: true } });
  expect(backends[1].defaults.quant_format).toBe('QOperator');
});

describe('quantization arithmetic for the teaching widgets, checked by hand', () => {
  test('quantParams: scale and zero point of a range', () => {
    // [-1, 3] in uint8: scale 4/255, zero point round(0 - (-1) / (4/255)) = round(63.75) = 64.
    expect(qp.quantParams(-1, 3, { type: 'uint8' })).toEqual({ scale: Math.fround(4 / 255), zero_point: 64, qmin: 0, qmax: 255 });
    // Symmetric int8 uses -127..127 around 0: scale 2 x 3 / 254.
    expect(qp.quantParams(-1, 3, { type: 'int8', symmetric: true })).toEqual({ scale: Math.fround(6 / 254), zero_point: 0, qmin: -127, qmax: 127 });
    // The range always contains 0: [0.5, 2] becomes [0, 2].
    expect(qp.quantParams(0.5, 2, { type: 'uint8' })).toMatchObject({ scale: Math.fround(2 / 255), zero_point: 0 });
    expect(qp.quantParams(-2, -2, { type: 'uint8' })).toMatchObject({ scale: Math.fround(2 / 255), zero_point: 255 });
    expect(qp.quantParams(0, 0, {})).toMatchObject({ scale: 1, zero_point: 0 });
    expect(qp.quantParams(-1, 1, { type: 'int8', reduceRange: true })).toMatchObject({ qmin: -64, qmax: 64 });
    expect(() => qp.quantParams(0, 1, { type: 'float32' })).toThrow("type 'float32' is not uint8, int8, uint16 or int16");
    expect(() => qp.quantParams(NaN, NaN, {})).toThrow('quantParams needs finite rmin and rmax, got nan and nan');
  });

  test('quantizeTensor: levels round half to even and saturate; per channel along an axis', () => {
    const s = Math.fround(4 / 255);
    const t = qp.quantizeTensor({ data: Float32Array.of(-1, 0, 0.5, 3, 10), dims: [5] }, { type: 'uint8', rmin: -1, rmax: 3 });
    expect(Array.from(t.levels)).toEqual([0, 64, 96, 255, 255]);  // -63.75 -> -64; 31.875 -> 32; 191.25 -> 191; 10 saturates
    expect(Array.from(t.dequantized)).toEqual([-64, 0, 32, 191, 191].map((l) => Math.fround(l * s)));
    const c = qp.quantizeTensor({ data: Float32Array.of(1, -2, 0.5, 0.25), dims: [2, 2] }, { type: 'int8', symmetric: true, axis: 0 });
    expect(c.params.map((p) => p.scale)).toEqual([Math.fround(4 / 254), Math.fround(1 / 254)]);
    expect(Array.from(c.levels)).toEqual([64, -127, 127, 64]);  // 63.5 rounds to the even 64
    expect(() => qp.quantizeTensor({ data: Float32Array.of(1), dims: [1] }, { axis: 3 })).toThrow('axis is out of range');
  });

  test('a model lists its initializers and gives one by name', () => {
    const model = qp.loadModel(fs.readFileSync(path.join(repoRoot, 'examples/models/cnn.onnx')));
    const conv = model.initializers().find((i) => i.dims.length === 4);
    expect(conv.type).toBe('float32');
    const w = model.initializer(conv.name);
    expect(w.dims).toEqual(conv.dims);
    expect(w.data.length).toBe(conv.dims.reduce((a, b) => a * b, 1));
    expect(() => model.initializer('nonesuch')).toThrow("the model has no initializer 'nonesuch'");
    model.delete();
  });
});

test('quantizeTensor reports the error of the whole tensor and of each channel', () => {
  // Channel 0 holds values on the int8 grid of the whole tensor's range, channel 1 does not.
  const s = 2 / 127;
  const data = Float32Array.of(2, -2, s, 0, 0.5 * s, 1.5 * s);
  const q = qp.quantizeTensor({ data, dims: [2, 3] }, { type: 'int8', symmetric: true, errorAxis: 0 });
  expect(q.channel_errors[0].mse).toBe(0);
  expect(q.channel_errors[0].sqnr_db).toBeNull();  // no noise: infinite SQNR, null in JSON
  // 0.5 s rounds to 0 (half to even) and 1.5 s to 2 s: errors s/2 and s/2 over three values.
  expect(q.channel_errors[1].mse).toBeCloseTo((2 * (s / 2) ** 2) / 3, 9);
  expect(q.channel_errors[1].max_abs).toBeCloseTo(s / 2, 6);
  expect(q.error.mse).toBeCloseTo((2 * (s / 2) ** 2) / 6, 9);
});

test('nodes() lists the graph; prepared() is the model as the quantizer sees it, with CLE when asked', () => {
  const model = qp.loadModel(fs.readFileSync(path.join(repoRoot, 'examples/models/cnn.onnx')));
  const nodes = model.nodes();
  expect(nodes.length).toBe(18);
  expect(nodes[0]).toMatchObject({ op_type: 'Conv', domain: '', inputs: expect.any(Array), outputs: expect.any(Array) });
  const prepared = model.prepared({}, null);
  expect(prepared.nodes().map((n) => n.op_type)).not.toContain('BatchNormalization');
  const equalized = model.prepared({ cross_layer_equalization: true }, null);
  const weight = prepared.nodes().find((n) => n.op_type === 'Conv').inputs[1];
  expect(Array.from(equalized.initializer(weight).data)).not.toEqual(Array.from(prepared.initializer(weight).data));
  // Equalization keeps the function.
  const x = { input: { data: new Float32Array(784).map((_, i) => Math.sin(i)), dims: [1, 1, 28, 28] } };
  const a = prepared.run(x).logits.data, b = equalized.run(x).logits.data;
  for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 3);
  for (const m of [equalized, prepared, model]) m.delete();
});
