// Two builds of qplay.wasm in one Node process, runs interleaved so that the machine's drift
// hits both alike: the median ms of float and int8 inference on the bundled models (and the
// models `make bench` exports, where it has) and of a QAT epoch on the CNN.
// For refactors that must not slow anything down; a build of an older commit goes in its own
// folder (emcmake cmake -S <checkout> -B <dir> && cmake --build <dir>). The module loaded
// second can run slower in one process (float inference by up to 2x, seen 2026-12-08): run it
// again with the folders swapped before reading a difference.
//   node bench/compare-builds.mjs BEFORE_DIR AFTER_DIR [--case NAME]   (each holding qplay.js and qplay.wasm)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { repoRoot } from '../wasm-tests/wasm/load-qplay.mjs';
import { cases, input } from './cases.mjs';

const [beforeDir, afterDir] = process.argv.slice(2, 4).map((d) => path.resolve(d));
if (!afterDir) throw new Error('usage: node bench/compare-builds.mjs BEFORE_DIR AFTER_DIR');
const require = createRequire(import.meta.url);
const load = (dir) => require(path.join(dir, 'qplay.js'))({ wasmBinary: fs.readFileSync(path.join(dir, 'qplay.wasm')) });
const builds = { before: await load(beforeDir), after: await load(afterDir) };
const runs = 40;
const warmups = 30;  // allocation, weight packing, and the engine tiering wasm up to optimized code

// Median ms of `step` on each build, alternating builds run by run after a warm-up.
function compare(label, steps, count = runs) {
  const times = { before: [], after: [] };
  for (let r = 0; r < count + warmups; r++)
    for (const name of ['before', 'after']) {
      const start = performance.now();
      steps[name]();
      if (r >= warmups) times[name].push(performance.now() - start);
    }
  const median = (t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)];
  const [before, after] = [median(times.before), median(times.after)];
  console.log(JSON.stringify({ case: label, before_ms: +before.toFixed(3), after_ms: +after.toFixed(3), after_over_before: +(after / before).toFixed(3) }));
}

const only = process.argv.indexOf('--case') > 0 ? process.argv[process.argv.indexOf('--case') + 1] : null;
for (const c of cases.filter((c) => (!only || c.name === only) && fs.existsSync(path.join(repoRoot, c.file)))) {
  const samples = input(8, c.shape), one = input(1, c.shape);
  const loaded = {};
  for (const [build, qp] of Object.entries(builds)) {
    const float = qp.loadModel(fs.readFileSync(path.join(repoRoot, c.file)));
    loaded[build] = { float, int8: float.quantize({ calibration_limit: 8 }, { input: samples }, null) };
  }
  for (const kind of ['float', 'int8'])
    compare(`${c.name} ${kind} batch 1`, Object.fromEntries(Object.keys(builds).map((b) => [b, () => loaded[b][kind].run({ input: one })])));
}

const sessions = {};
for (const [build, qp] of Object.entries(builds)) {
  const images = qp.parseNpy(fs.readFileSync(path.join(repoRoot, 'examples/data/calibration_images.npy')));
  const labels = qp.parseNpy(fs.readFileSync(path.join(repoRoot, 'examples/data/calibration_labels.npy')));
  const model = qp.loadModel(fs.readFileSync(path.join(repoRoot, 'examples/models/cnn.onnx')));
  sessions[build] = model.qat({}, { data: images.data.slice(0, 64 * 784), dims: [64, 1, 28, 28] },
    { data: labels.data.slice(0, 64), dims: [64], type: 'int64' }, null, null, { batchSize: 16, learningRate: 1e-4, epochs: 1000 });
}
compare('cnn QAT epoch (64 samples, batch 16)', Object.fromEntries(Object.keys(builds).map((b) => [b, () => sessions[b].epoch()])), 12);
