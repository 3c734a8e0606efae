// The hostile-input regression corpus (tests/hostile/) in wasm: each model or .npy file is
// refused with an Error carrying exactly its expected message (naming the input as the module
// does: "model", "the .npy file"), never a trap, while another model stays open and keeps
// giving identical outputs.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { loadQplay, repoRoot } from './load-qplay.mjs';

const corpus = path.join(repoRoot, 'tests/hostile');
const read = (name) => JSON.parse(fs.readFileSync(path.join(corpus, name), 'utf8'));
const expected = read('expected.json');  // each file's error when loaded ('' where it loads)
const expectedRun = read('expected_run.json');  // models without inputs: the error when run

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
  const npy = file.endsWith('.npy');
  let error;
  try {
    if (npy) qp.parseNpy(bytes);
    else qp.loadModel(bytes).delete();
  } catch (e) {
    error = e;
  }
  if (message === '') expect(error).toBeUndefined();  // a model that once trapped now loads
  else expect(error?.message).toBe(message.replace(file, npy ? 'the .npy file' : 'model'));
  expect(open.run({ input }).logits.data).toEqual(reference);
});

test.each(Object.entries(expectedRun))('%s runs or is refused by name, and the open model is unchanged', (file, message) => {
  const model = qp.loadModel(fs.readFileSync(path.join(corpus, file)));
  let error;
  try {
    model.run({});
  } catch (e) {
    error = e;
  }
  model.delete();
  if (message === '') expect(error).toBeUndefined();
  else expect(error?.message).toBe(message);
  expect(open.run({ input }).logits.data).toEqual(reference);
});
