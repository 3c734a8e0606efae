// The hostile-input regression corpus (tests/hostile/) in wasm: each model or sample file is
// refused with an Error carrying exactly its expected message (a model is named "model", a
// sample file by the name it is given), never a trap, while another model stays open and keeps
// giving identical outputs.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { loadQplay, repoRoot } from './load-qplay.mjs';

const corpus = path.join(repoRoot, 'tests/hostile');
const read = (name) => JSON.parse(fs.readFileSync(path.join(corpus, name), 'utf8'));
const expected = read('expected.json');  // each file's error when loaded ('' where it loads)
const expectedRun = read('expected_run.json');  // each model's error when run on inputs from its bytes

const arrays = { float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array, int16: Int16Array,
  uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array, int64: BigInt64Array, uint64: BigUint64Array };

// The inputs tests/fuzz/fuzz_inputs.h makes from a model file's bytes: unknown dims are 1, and
// element i takes the next byte, read as int8 (divided by 16 for floats).
function inputsFromBytes(model, bytes) {
  const feeds = {};
  let next = 0;
  for (const { name, dtype, shape } of model.info().inputs) {
    const dims = shape.map((d) => (typeof d === 'number' ? d : 1));
    const Type = arrays[dtype];
    const data = new Type(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) {
      const byte = (bytes[next++ % bytes.length] << 24) >> 24;
      data[i] = Type === BigInt64Array || Type === BigUint64Array ? BigInt(byte) : dtype.startsWith('float') ? byte / 16 : byte;
    }
    feeds[name] = { data, dims, type: dtype };
  }
  return feeds;
}

let qp;
let open;
let input;
let reference;
beforeAll(async () => {
  qp = await loadQplay();
  open = qp.loadModel(fs.readFileSync(path.join(repoRoot, 'examples/models/cnn.onnx')));
  input = { data: Float32Array.from({ length: 784 }, (_, i) => Math.sin(i)), dims: [1, 1, 28, 28] };
  reference = open.run({ input }).logits.data;
});

test.each(Object.entries(expected))('%s is refused by name and the open model is unchanged', (file, message) => {
  const bytes = fs.readFileSync(path.join(corpus, file));
  const sampleFile = /\.(npy|npz|csv)$/.test(file);
  let error;
  try {
    if (sampleFile) qp.parseSampleFile(file, bytes);
    else qp.loadModel(bytes).delete();
  } catch (e) {
    error = e;
  }
  if (message === '') expect(error).toBeUndefined();  // a model that once trapped now loads
  else expect(error?.message).toBe(sampleFile ? message : message.replace(file, 'model'));
  expect(open.run({ input }).logits.data).toEqual(reference);
});

test.each(Object.entries(expectedRun))('%s runs or is refused by name, and the open model is unchanged', (file, message) => {
  const bytes = fs.readFileSync(path.join(corpus, file));
  const model = qp.loadModel(bytes);
  let error;
  try {
    model.run(inputsFromBytes(model, bytes));
  } catch (e) {
    error = e;
  }
  model.delete();
  if (message === '') expect(error).toBeUndefined();
  else expect(error?.message).toBe(message);
  expect(open.run({ input }).logits.data).toEqual(reference);
});

// Each process-wide limit: the file it stops, the lowered value and the error then, a value it
// refuses with its error, and the default it goes back to.
test.each([
  ['setMaxLoopIterations', 'loop_of_2_pow_62_iterations.onnx', 10, "node 'loop' (Loop): ran 10 iterations without ending",
    0, 'setMaxLoopIterations must be a whole number from 1 to 9007199254740992, got 0', 2 ** 20],
  ['setMaxTensorBytes', 'expand_huge.onnx', 1 << 20, 'would produce 4.4e+12 bytes (float32 [1048576, 1048576]); the limit is 1 MiB',
    0.5, 'setMaxTensorBytes must be a whole number from 1 to 4294967296, got 0.5', 2 ** 31],
])('%s() lowers its limit for every model and refuses nonsense', (setter, file, lowered, error, nonsense, refusal, standard) => {
  const model = qp.loadModel(fs.readFileSync(path.join(corpus, file)));
  qp[setter](lowered);
  try {
    expect(() => model.run({})).toThrow(error);
    expect(() => qp[setter](nonsense)).toThrow(refusal);
  } finally {
    qp[setter](standard);
    model.delete();
  }
  expect(open.run({ input }).logits.data).toEqual(reference);
});
