// Sample files as the page reads them (web/src/data/tensor-files.ts, parsed by the core): .npy,
// .npz with data and labels, .csv with a label column; bad files are named with what is wrong.
import fs from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import { beforeAll, expect, test } from 'vitest';
import { CoreEngine } from '../../web/src/engine/core-engine.ts';
import { readTensorFile } from '../../web/src/data/tensor-files.ts';
import { loadQplay, repoRoot } from './load-qplay.mjs';

let engine;
beforeAll(async () => {
  engine = new CoreEngine(await loadQplay());
});

const npy = (file) => new Uint8Array(fs.readFileSync(path.join(repoRoot, 'examples/data', file)));

test('an .npz holds the samples and their labels', async () => {
  const archive = zipSync({ 'x.npy': npy('calibration_images.npy'), 'y.npy': npy('calibration_labels.npy') });
  const { data, labels } = await readTensorFile(new File([archive], 'set.npz'), engine);
  expect(data.dims).toEqual([200, 1, 28, 28]);
  expect(data.data).toBeInstanceOf(Float32Array);
  expect(labels.dims).toEqual([200]);
  expect(labels.data).toBeInstanceOf(BigInt64Array);
  await expect(readTensorFile(new File([zipSync({ 'labels.npy': npy('calibration_labels.npy') })], 'l.npz'), engine))
    .rejects.toThrow('l.npz: the archive holds only labels (labels)');
  await expect(readTensorFile(new File([new Uint8Array([1, 2, 3])], 'bad.npz'), engine))
    .rejects.toThrow("bad.npz is not a valid .npz (zip) file: it is shorter than a zip's end record");
});

test.each(['savez.npz', 'savez_compressed.npz'])('%s, as NumPy writes it (zip64 entries, deflate), gives samples and labels', async (name) => {
  const bytes = fs.readFileSync(path.join(repoRoot, 'tests/data', name));
  const { data, labels } = await readTensorFile(new File([bytes], name), engine);
  expect(data.dims).toEqual([2, 3]);
  expect(Array.from(data.data, Number)).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25]);
  expect(Array.from(/** @type {BigInt64Array} */ (labels.data))).toEqual([1n, 0n]);
});

test('a .csv gives rows of features and, from a label column, labels', async () => {
  const { data, labels } = await readTensorFile(new File(['f1,f2,label\n0.5,1,2\n-1,3,0\n'], 'rows.csv'), engine);
  expect(data.dims).toEqual([2, 2]);
  expect(Array.from(data.data, Number)).toEqual([0.5, 1, -1, 3]);
  expect(Array.from(/** @type {BigInt64Array} */ (labels.data))).toEqual([2n, 0n]);
  await expect(readTensorFile(new File(['1,2\n3,x\n'], 'bad.csv'), engine)).rejects.toThrow("bad.csv: row 2, column 2 is not a number: 'x'");
  await expect(readTensorFile(new File(['1,2\n3\n'], 'short.csv'), engine)).rejects.toThrow('short.csv: row 2 has 1 columns, expected 2');
});

test('labels from a .npy must be one whole number per sample', async () => {
  const { data } = await readTensorFile(new File([npy('evaluation_labels.npy')], 'y.npy'), engine, true);
  expect(data.dims).toEqual([1000]);
  await expect(readTensorFile(new File([npy('calibration_images.npy')], 'x.npy'), engine, true))
    .rejects.toThrow(/x.npy: labels must be (whole class numbers|one number per sample)/);
});

test('the preview statistics of a 224 x 224 RGB sample (more values than a call takes arguments)', async () => {
  const { firstSample } = await import('../../web/src/data/samples.ts');
  const per = 3 * 224 * 224;
  const data = Float32Array.from({ length: 2 * per }, (_, i) => (i < per ? (i % 7) - 3 : 100));
  const stats = firstSample({ source: 'images', data: { data, dims: [2, 3, 224, 224] }, labels: null });
  expect(stats.tensor.dims).toEqual([1, 3, 224, 224]);
  expect(stats).toMatchObject({ min: -3, max: 3 });
  expect(stats.mean).toBeCloseTo(0, 2);
});
