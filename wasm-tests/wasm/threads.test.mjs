// The threaded module (qplay-threads.js, Emscripten pthreads): the same bits as the
// single-threaded module on every thread count, for float and int8 models.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { loadQplay, repoRoot } from './load-qplay.mjs';

let single;
let threaded;
beforeAll(async () => {
  [single, threaded] = await Promise.all([loadQplay(), loadQplay({ threads: true })]);
});

const images = () => fs.readFileSync(path.join(repoRoot, 'examples/data/calibration_images.npy'));
const zoo = path.join(repoRoot, 'build/zoo-coverage');

test('the threaded module starts its threads; the single-threaded one has one', () => {
  expect(single.maxThreadCount()).toBe(1);
  expect(threaded.maxThreadCount()).toBe(4);
  expect(threaded.threadCount()).toBeGreaterThanOrEqual(1);
  threaded.setThreadCount(99);
  expect(threaded.threadCount()).toBe(4);
});

// Each model's outputs on `input`, float and quantized per channel, from one module at `threads`.
function outputs(qp, threads, modelBytes, input) {
  qp.setThreadCount(threads);
  const model = qp.loadModel(modelBytes);
  const name = model.info().inputs[0].name;
  const quantized = model.quantize({ per_channel: true, calibration_limit: 16 }, { [name]: input }, null);
  const run = (m) => Object.values(m.run({ [name]: input })).map((t) => Array.from(t.data));
  const result = [run(model), run(quantized)];
  model.delete();
  quantized.delete();
  return result;
}

/** @type {[string, () => Buffer, (qp: any) => any][]} */
const cases = [
  ['cnn (batch 64)', () => fs.readFileSync(path.join(repoRoot, 'examples/models/cnn.onnx')), (qp) => {
    const all = qp.parseNpy(images());
    return { data: all.data.slice(0, 64 * 784), dims: [64, 1, 28, 28] };
  }],
  ['transformer (batch 8)', () => fs.readFileSync(path.join(repoRoot, 'examples/models/transformer.onnx')), (qp) => {
    const all = qp.parseNpy(images());
    return { data: all.data.slice(0, 8 * 784), dims: [8, 1, 28, 28] };
  }],
  ...['mobilenet_v3_small_op17', 'shufflenet_v2_x0_5_op12'].map((name) => /** @type {[string, () => Buffer, (qp: any) => any]} */ ([name,
    () => fs.readFileSync(path.join(zoo, `${name}.onnx`)), (qp) => qp.parseNpy(fs.readFileSync(path.join(zoo, `${name}.input.npy`)))])),
];

test.each(cases)('%s: float and int8 outputs are the same bits on 1 to 4 threads as in qplay.js', (name, model, input) => {
  if (name.includes('_op') && !fs.existsSync(path.join(zoo, `${name}.onnx`))) return;  // the zoo is built by make test
  const expected = outputs(single, 1, model(), input(single));
  for (const threads of [1, 2, 3, 4]) expect(outputs(threaded, threads, model(), input(threaded))).toEqual(expected);
});
