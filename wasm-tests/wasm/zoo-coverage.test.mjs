// Models qplay was never tuned on (tests/zoo/coverage.py builds them, about a minute, when the
// tests run): torchvision classifiers, segmentation, detection with NonMaxSuppression and RoiAlign,
// Swin and ViT, a video net, at opsets 9 to 17; a two-input text encoder; a recurrent model with
// state inputs; float16 weights; external data; hand-built models of opsets 18 to 21 (Resize in
// every mode, int4/uint4/int16 Q/DQ with blocks, Scan) and of ONNX Runtime's contrib ops
// (Attention, MultiHeadAttention, RotaryEmbedding, EmbedLayerNormalization). Each loads
// and runs in qplay's wasm module as in onnxruntime-node: the same output shapes, integer outputs
// equal, float outputs within 1e-3 of the output's largest magnitude. Each, carried to opset 21
// by qplay's converter, gives the same outputs again in both. The native CLI's `info` (summary
// and memory plan) finishes on each. Each, rewritten in float16 by qplay, runs in both close to
// its float32 original.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { asFloat, floatToHalfBits } from '../half-precision.mjs';
import { createOrtNodeSession, ort } from '../ort-node.mjs';
import { loadQplay, repoRoot } from './load-qplay.mjs';
import { ensureZoo } from './zoo.mjs';

const { zoo, manifest } = ensureZoo();

let qp;
beforeAll(async () => {
  qp = await loadQplay();
});

const read = (file) => new Uint8Array(fs.readFileSync(path.join(zoo, file)));

// Every output of `ours` as in `theirs` (onnxruntime-node's): shapes, integers equal, floats within
// 1e-3 of the output's largest magnitude.
function expectAgreement(ours, theirs) {
  expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
  for (const [output, reference] of Object.entries(theirs)) {
    const mine = ours[output];
    expect(mine.dims, output).toEqual(reference.dims.map(Number));
    if (!(reference.data instanceof Float32Array)) {
      expect(Array.from(mine.data, String), output).toEqual(Array.from(reference.data, String));
      continue;
    }
    let largest = 0, worst = 0;
    reference.data.forEach((v, i) => {
      largest = Math.max(largest, Math.abs(v));
      worst = Math.max(worst, Math.abs(v - mine.data[i]));
    });
    expect(worst, `${output}: largest difference, against a largest magnitude of ${largest}`).toBeLessThanOrEqual(1e-3 * largest);
  }
}

// logSeverityLevel 3: onnxruntime warns, for each float16 node it has no CPU kernel for, that it cannot constant-fold it.
const ortRun = async (model, feeds) => (await createOrtNodeSession(model, { logSeverityLevel: 3 }))
  .run(Object.fromEntries(Object.entries(feeds).map(([input, t]) => [input, new ort.Tensor(t.type, t.data, t.dims)])));

test.each(Object.entries(manifest).map(([name, entry]) => [name, entry.covers]))('%s (%s) runs as in onnxruntime-node', async (name) => {
  const entry = manifest[name];
  execFileSync(path.join(repoRoot, 'build/native/qplay'), ['info', path.join(zoo, entry.model)], { timeout: 60000 });
  const feeds = Object.fromEntries(Object.entries(entry.inputs).map(([input, file]) => [input, qp.parseNpy(read(file))]));
  const files = Object.fromEntries((entry.external ?? []).map((file) => [file, read(file)]));
  const model = qp.loadModel(read(entry.model), files);
  try {
    const theirs = await ortRun(path.join(zoo, entry.model), feeds);
    expectAgreement(model.run(feeds), theirs);
    // Carried to opset 21 (what int4 and int16 Q/DQ need) by qplay's converter, it gives the same outputs in both runtimes.
    if (model.info().upcast_from) {
      expect(() => model.convert({ opset: 21 })).toThrow(/converting it would write them as float32/);
      return;
    }
    const converted = model.convert({ opset: 21 });
    try {
      expectAgreement(await ortRun(converted.save(), feeds), theirs);
      expectAgreement(converted.run(feeds), theirs);
    } finally {
      converted.delete();
    }
  } finally {
    model.delete();
  }
}, 120000);

// Signal to noise of `ours` against `reference`, in dB (Infinity when they are equal).
function sqnr(reference, ours) {
  let signal = 0, noise = 0;
  reference.forEach((v, i) => {
    signal += v * v;
    noise += (v - ours[i]) ** 2;
  });
  return noise === 0 ? Infinity : 10 * Math.log10(signal / noise);
}

// Every output of `ours` as near `reference` (the float32 model's in onnxruntime-node) as half
// precision allows: 30 dB per float output, integers equal. With `selects`, the model keeps boxes
// by NonMaxSuppression, whose near-ties half precision reorders: only types and ranks are compared.
function expectHalfPrecisionAgreement(ours, reference, selects) {
  for (const [output, expected] of Object.entries(reference)) {
    const mine = asFloat(ours[output]);
    expect(mine.dims.length, output).toBe(expected.dims.length);
    if (selects) continue;
    if (!(expected.data instanceof Float32Array)) {
      expect(Array.from(mine.data, String), output).toEqual(Array.from(expected.data, String));
      continue;
    }
    expect(sqnr(expected.data, mine.data), `${output}: SQNR in dB against the float32 model`).toBeGreaterThanOrEqual(30);
  }
}

// Rewritten in float16 by qplay's core (as onnxconverter-common's tool does), each model loads in
// onnxruntime-node and, fed float16, answers as its float32 original does; qplay loads and runs
// the float16 model too. Models with several inputs, state or control flow are also converted
// with float32 inputs and outputs kept.
test.each(Object.keys(manifest))('%s rewritten in float16 runs in onnxruntime-node and qplay', async (name) => {
  const entry = manifest[name];
  const feeds = Object.fromEntries(Object.entries(entry.inputs).map(([input, file]) => [input, qp.parseNpy(read(file))]));
  const files = Object.fromEntries((entry.external ?? []).map((file) => [file, read(file)]));
  const model = qp.loadModel(read(entry.model), files);
  try {
    const reference = await ortRun(path.join(zoo, entry.model), feeds);
    const selects = entry.covers.includes('NonMaxSuppression');  // inside an If branch, where nodes() does not look
    const keepIo = [false, ...(/text_encoder|recurrent|vad|scan/.test(name) ? [true] : [])];
    for (const keepIoTypes of keepIo) {
      const half = model.convert({ float16: true, keepIoTypes });
      try {
        const halfFeeds = Object.fromEntries(Object.entries(feeds).map(([input, t]) => [input,
          t.type === 'float32' && !keepIoTypes ? { type: 'float16', dims: t.dims, data: Uint16Array.from(t.data, floatToHalfBits) } : t]));
        const theirs = await ortRun(half.save(), halfFeeds);
        for (const [output, t] of Object.entries(theirs))
          if (reference[output].type === 'float32') expect(t.type, output).toBe(keepIoTypes ? 'float32' : 'float16');
        expectHalfPrecisionAgreement(theirs, reference, selects);
        expectHalfPrecisionAgreement(half.run(feeds), reference, selects);
      } finally {
        half.delete();
      }
    }
  } finally {
    model.delete();
  }
}, 120000);

// Loading streams the file into the parser and copies external tensors straight from their files:
// a fresh module's heap grows by at most 1.2 times what it was given (it grew by about twice
// that when the whole file was first copied in). float16 files are held as written (for a
// byte-identical save) and in float32 (what qplay computes in), so they are not measured here.
test.each(['convnext_tiny_op14', 'resnet18_op13', 'resnet18_external_op13'])('loading %s grows the wasm heap by at most 1.2x its bytes', async (name) => {
  const entry = manifest[name];
  const fresh = await loadQplay();
  const bytes = read(entry.model);
  const files = Object.fromEntries((entry.external ?? []).map((file) => [file, read(file)]));
  const given = bytes.length + Object.values(files).reduce((sum, file) => sum + file.length, 0);
  const heapBytes = () => /** @type {any} */ (fresh).HEAP8.length;  // Emscripten's heap view, outside the declared API
  const before = heapBytes();
  fresh.loadModel(bytes, files).delete();
  expect((heapBytes() - before) / given).toBeLessThanOrEqual(1.2);
}, 120000);
