// Our wasm runtime against onnxruntime-node on the same models and inputs: ONNX's
// conformance models (with their own test inputs) and the PyTorch-exported models.
import fs from 'node:fs';
import path from 'node:path';
import { createOrtNodeSession, ort } from '../ort-node.mjs';
import { asFloat } from '../half-precision.mjs';
import { beforeAll, expect, test } from 'vitest';
import { conformanceRoot, loadQplay, repoRoot } from './load-qplay.mjs';

let qp;
beforeAll(async () => {
  qp = await loadQplay();
});

function toOrt(t) {
  return new ort.Tensor(t.type, t.data, t.dims);
}

// Largest violation of |a - b| <= atol + rtol * |b| (0 when all agree); integers must be equal.
function disagreement(ours, theirs, { rtol = 1e-3, atol = 1e-4 } = {}) {
  if (ours.dims.join() !== theirs.dims.join()) return `dims ${ours.dims} vs ${theirs.dims}`;
  const exact = !ours.type.startsWith('float');
  for (let i = 0; i < ours.data.length; i++) {
    const a = Number(ours.data[i]);
    const b = Number(theirs.data[i]);
    if (a === b || (Number.isNaN(a) && Number.isNaN(b))) continue;
    if (!exact && Math.abs(a - b) <= atol + rtol * Math.abs(b)) continue;
    return `element ${i}: ours ${a}, onnxruntime ${b}`;
  }
  return null;
}

// onnxruntime returns a float16 tensor as its bits; qplay computes half-precision models in
// float32, so the two agree to float16's precision.
const halfPrecision = { rtol: 2e-3, atol: 1e-4 };

// Where onnxruntime and ONNX's own reference outputs disagree, we follow ONNX (the native
// conformance test checks that); these are not compared with onnxruntime.
const knownDivergences = {
  // ONNX uses the unfloored resized length (input * scale) in align_corners; onnxruntime the
  // floored output size. ONNX maintainers call theirs intended: github.com/onnx/onnx/issues/2462
  'node/test_resize_downsample_scales_linear_align_corners': 'Resize align_corners with a fractional scale',
  'node/test_resize_downsample_scales_cubic_align_corners': 'Resize align_corners with a fractional scale',
};

function conformanceTests() {
  const tests = [];
  for (const group of fs.readdirSync(conformanceRoot)) {
    for (const name of fs.readdirSync(path.join(conformanceRoot, group))) {
      const dir = path.join(conformanceRoot, group, name);
      if (fs.existsSync(path.join(dir, 'model.onnx')) && !knownDivergences[`${group}/${name}`]) tests.push(dir);
    }
  }
  return tests;
}

function readInputs(dir, model) {
  const set = path.join(dir, 'test_data_set_0');
  const names = model.info().inputs.map((i) => i.name);
  const feeds = {};
  names.forEach((name, i) => {
    feeds[name] = qp.parseTensorProto(fs.readFileSync(path.join(set, `input_${i}.pb`)));
  });
  return feeds;
}

test('agrees with onnxruntime-node on every conformance model both can run', async () => {
  let compared = 0;
  const disagreements = [];
  for (const dir of conformanceTests()) {
    const bytes = fs.readFileSync(path.join(dir, 'model.onnx'));
    const model = qp.loadModel(bytes);
    let feeds;
    let ours;
    try {
      if (model.info().unsupported.length > 0) continue;
      feeds = readInputs(dir, model);
      ours = model.run(feeds);
    } catch {
      continue; // unsupported by us (types, attributes): the native conformance test names these
    } finally {
      model.delete();
    }
    let theirs;
    try {
      const session = await createOrtNodeSession(bytes);
      theirs = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toOrt(v)])));
    } catch {
      continue; // onnxruntime cannot run it
    }
    for (const [name, value] of Object.entries(ours)) {
      const why = disagreement(value, asFloat(theirs[name]), theirs[name].type === 'float16' ? halfPrecision : undefined);
      if (why) disagreements.push(`${path.relative(conformanceRoot, dir)} output '${name}': ${why}`);
    }
    compared++;
  }
  expect(disagreements).toEqual([]);
  expect(compared).toBeGreaterThan(500);
});

test.each(['cnn_bn', 'transformer_block', 'lstm', 'gru', 'decoder'])('agrees with onnxruntime-node on the PyTorch model %s', async (name) => {
  const bytes = fs.readFileSync(path.join(repoRoot, 'tests/models', `${name}.onnx`));
  const model = qp.loadModel(bytes);
  const session = await createOrtNodeSession(bytes);
  for (const batch of [1, 3]) {
    const data = Float32Array.from({ length: batch * 784 }, (_, i) => Math.sin(i * 0.37));
    const input = { data, dims: [batch, 1, 28, 28], type: 'float32' };
    const ours = model.run({ input });
    const theirs = await session.run({ input: toOrt(input) });
    expect(disagreement(ours.logits, theirs.logits, { rtol: 1e-4, atol: 1e-5 })).toBeNull();
  }
  model.delete();
});

// The opset converter on ONNX's conformance models of older opsets: each model qplay carries to
// opset 21 gives, in onnxruntime-node, the outputs the original gives there.
test('conformance models carried to opset 21 by qplay run as before in onnxruntime-node', async () => {
  let converted = 0;
  const problems = [];
  for (const dir of conformanceTests()) {
    const bytes = fs.readFileSync(path.join(dir, 'model.onnx'));
    let model;
    try {
      model = qp.loadModel(bytes);
    } catch {
      continue;
    }
    let upgraded, feeds;
    try {
      if (model.info().opsets['ai.onnx'] >= 21) continue;
      feeds = readInputs(dir, model);
      const carried = model.convert({ opset: 21 });
      upgraded = carried.save();
      carried.delete();
    } catch {
      continue;  // an op qplay does not know: the converter refuses by name (opset-upgrade tests)
    } finally {
      model.delete();
    }
    const run = async (modelBytes) => (await createOrtNodeSession(modelBytes))
      .run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toOrt(v)])));
    let before;
    try {
      before = await run(bytes);
    } catch {
      continue;  // onnxruntime cannot run the original
    }
    const name = path.relative(conformanceRoot, dir);
    try {
      const after = await run(upgraded);
      for (const [output, value] of Object.entries(before)) {
        const why = disagreement(asFloat(after[output]), asFloat(value), { rtol: 1e-5, atol: 1e-6 });
        if (why) problems.push(`${name} output '${output}': ${why}`);
      }
      converted++;
    } catch (e) {
      problems.push(`${name}: ${e.message.split('\n')[0]}`);
    }
  }
  expect(problems).toEqual([]);
  expect(converted).toBeGreaterThan(300);
});
