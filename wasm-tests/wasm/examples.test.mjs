// The bundled example models on the 1000 evaluation images: the wasm module and the native
// CLI (`qplay run`) agree with onnxruntime-node.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createOrtNodeSession, ort } from '../ort-node.mjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadQplay, repoRoot } from './load-qplay.mjs';

const examples = path.join(repoRoot, 'examples');
let qp;
let images;
beforeAll(async () => {
  qp = await loadQplay();
  images = qp.parseNpy(fs.readFileSync(path.join(examples, 'data/evaluation_images.npy')));
});

function argmax(data, row, classes) {
  let best = 0;
  for (let c = 1; c < classes; c++) if (data[row * classes + c] > data[row * classes + best]) best = c;
  return best;
}

// Logits agree within tolerance and every image gets the same class.
function expectAgreement(ours, theirs) {
  expect(ours.dims).toEqual(theirs.dims);
  const [rows, classes] = ours.dims;
  let worst = 0;
  for (let i = 0; i < ours.data.length; i++) worst = Math.max(worst, Math.abs(ours.data[i] - theirs.data[i]));
  expect(worst).toBeLessThan(1e-3);
  for (let r = 0; r < rows; r++) expect(argmax(ours.data, r, classes)).toBe(argmax(theirs.data, r, classes));
}

describe.each(['cnn', 'transformer', 'lstm'])('example model %s', (name) => {
  const card = JSON.parse(fs.readFileSync(path.join(examples, `models/${name}.json`), 'utf8'));
  const modelPath = path.join(examples, 'models', card.model);
  let reference;
  beforeAll(async () => {
    const session = await createOrtNodeSession(modelPath);
    reference = (await session.run({ [card.input]: new ort.Tensor('float32', images.data, images.dims) }))[card.output];
  });

  test('the wasm module agrees with onnxruntime-node', () => {
    const model = qp.loadModel(fs.readFileSync(modelPath));
    const ours = model.run({ [card.input]: images })[card.output];
    model.delete();
    expectAgreement(ours, reference);
  });

  test('qplay run agrees with onnxruntime-node', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qplay-run-'));
    const cli = path.join(repoRoot, 'build/native/qplay');
    const result = spawnSync(cli, ['run', modelPath, '--input', `${card.input}=${path.join(examples, 'data/evaluation_images.npy')}`,
      '--output-dir', dir], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expectAgreement(qp.parseNpy(fs.readFileSync(path.join(dir, `${card.output}.npy`))), reference);
  });
});
