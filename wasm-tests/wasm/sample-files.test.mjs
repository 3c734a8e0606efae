// Sample files as the page reads them (web/src/data/tensor-files.ts, parsed by the core): .npy,
// .npz with data and labels (kept in the file and read by the engine as it runs), .csv with a
// label column; bad files are named with what is wrong.
import fs from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import { beforeAll, expect, test } from 'vitest';
import { CoreEngine } from '../../web/src/engine/core-engine.ts';
import { readLabelFile, readTensorFile } from '../../web/src/data/tensor-files.ts';
import { loadQplay, repoRoot } from './load-qplay.mjs';

// Node's Files cannot be read synchronously (the worker uses FileReaderSync): the test keeps each
// File's bytes beside it for the engine to read.
const bytesOf = new WeakMap();
function fileOf(content, name) {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : new Uint8Array(content);
  const file = new File([bytes], name);
  bytesOf.set(file, bytes);
  return file;
}

let qp;
let engine;
beforeAll(async () => {
  qp = await loadQplay();
  engine = new CoreEngine(qp, (blob, offset, length) => bytesOf.get(blob).subarray(offset, offset + length));
});

const npy = (file) => new Uint8Array(fs.readFileSync(path.join(repoRoot, 'examples/data', file)));

test('an .npz holds the samples and their labels; its samples stay in the file, read by the engine', async () => {
  const archive = zipSync({ 'x.npy': npy('calibration_images.npy'), 'y.npy': npy('calibration_labels.npy') });
  const file = fileOf(archive, 'set.npz');
  const { data, labels, first } = await readTensorFile(file, engine);
  expect(data).toEqual({ file, start: 0, dims: [200, 1, 28, 28], type: 'float32' });
  expect(labels.dims).toEqual([200]);
  expect(labels.data).toBeInstanceOf(BigInt64Array);
  const images = qp.parseNpy(npy('calibration_images.npy'));
  expect(Array.from(first.data, Number)).toEqual(Array.from(images.data.subarray(0, 784), Number));
  await engine.setSamples('evaluation', { ...data, start: 150, dims: [50, 1, 28, 28] }, null);
  const sample = await engine.sample('evaluation', 3);
  expect(Array.from(sample.data)).toEqual(Array.from(images.data.subarray(153 * 784, 154 * 784)));
  await expect(readTensorFile(fileOf(zipSync({ 'labels.npy': npy('calibration_labels.npy') }), 'l.npz'), engine))
    .rejects.toThrow('l.npz: the archive holds only labels (labels)');
  await expect(readTensorFile(fileOf(new Uint8Array([1, 2, 3]), 'bad.npz'), engine))
    .rejects.toThrow("bad.npz is not a valid .npz (zip) file: it is shorter than a zip's end record");
});

test.each(['savez.npz', 'savez_compressed.npz'])('%s, as NumPy writes it (zip64 entries, deflate), gives samples and labels', async (name) => {
  const bytes = fs.readFileSync(path.join(repoRoot, 'tests/data', name));
  const { data, labels } = await readTensorFile(fileOf(bytes, name), engine);
  expect(data.dims).toEqual([2, 3]);
  await engine.setSamples('evaluation', data, null);
  const rows = [await engine.sample('evaluation', 0), await engine.sample('evaluation', 1)];
  expect(rows.flatMap((r) => Array.from(r.data, Number))).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25]);
  expect(Array.from(/** @type {BigInt64Array} */ (labels.data))).toEqual([1n, 0n]);
});

test('a NaN in a .npy is refused when the file is read, naming the sample', async () => {
  const bytes = Buffer.from(npy('calibration_images.npy'));
  bytes.writeFloatLE(NaN, bytes.length - 200 * 784 * 4 + (7 * 784 + 3) * 4);
  await expect(readTensorFile(fileOf(bytes, 'nan.npy'), engine)).rejects.toThrow('nan.npy: sample 7 contains NaN (NaN or infinity)');
});

test('a .csv gives rows of features and, from a label column, labels', async () => {
  const { data, labels } = await readTensorFile(fileOf('f1,f2,label\n0.5,1,2\n-1,3,0\n', 'rows.csv'), engine);
  expect(data.dims).toEqual([2, 2]);
  expect(Array.from(/** @type {import('../../web/src/engine/types').TensorData} */ (data).data, Number)).toEqual([0.5, 1, -1, 3]);
  expect(Array.from(/** @type {BigInt64Array} */ (labels.data))).toEqual([2n, 0n]);
  await expect(readTensorFile(fileOf('1,2\n3,x\n', 'bad.csv'), engine)).rejects.toThrow("bad.csv: row 2, column 2 is not a number: 'x'");
  await expect(readTensorFile(fileOf('1,2\n3\n', 'short.csv'), engine)).rejects.toThrow('short.csv: row 2 has 1 columns, expected 2');
});

test('labels from a .npy must be one whole number per sample', async () => {
  const data = await readLabelFile(fileOf(npy('evaluation_labels.npy'), 'y.npy'), engine);
  expect(data.dims).toEqual([1000]);
  await expect(readLabelFile(fileOf(npy('calibration_images.npy'), 'x.npy'), engine))
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
