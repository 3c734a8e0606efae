// Samples read from a file a few at a time through a reader (SampleFileReader), as the page's
// worker reads a File: the same results as the whole array in memory, and a reader that fails
// is named without breaking the module.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { beforeAll, expect, test } from 'vitest';
import { loadQplay, repoRoot } from './load-qplay.mjs';

let qp;
let model;
beforeAll(async () => {
  qp = await loadQplay();
  model = qp.loadModel(fs.readFileSync(path.join(repoRoot, 'examples/models/cnn.onnx')));
});

const dataFile = (name) => path.join(repoRoot, 'examples/data', name);

// A reader over a file on disk, counting the bytes it is asked for.
function fileReader(file, name = path.basename(file)) {
  const fd = fs.openSync(file, 'r');
  const reader = {
    name, size: fs.fstatSync(fd).size, bytesRead: 0, calls: 0,
    read(offset, length) {
      const bytes = Buffer.alloc(length);
      fs.readSync(fd, bytes, 0, length, offset);
      reader.bytesRead += length;
      reader.calls += 1;
      return bytes;
    },
  };
  return reader;
}

const config = { calibrate_method: 'MinMax', calibration_limit: 0 };

test('calibrating from a reader gives the model calibrating from the array gives', () => {
  const reader = fileReader(dataFile('calibration_images.npy'));
  const streamed = model.quantize(config, reader, null);
  const inMemory = model.quantize(config, qp.parseNpy(fs.readFileSync(dataFile('calibration_images.npy'))), null);
  expect(Buffer.from(streamed.save()).equals(Buffer.from(inMemory.save()))).toBe(true);
  // Read a run at a time: many small reads, not one read of the whole file.
  expect(reader.calls).toBeGreaterThan(10);
  expect(reader.bytesRead).toBeGreaterThanOrEqual(reader.size - 128);
  const byInput = model.quantize(config, { input: fileReader(dataFile('calibration_images.npy')) }, null);
  expect(Buffer.from(byInput.save()).equals(Buffer.from(inMemory.save()))).toBe(true);
  for (const m of [streamed, inMemory, byInput]) m.delete();
});

test('an .npz read through a reader: its arrays and labels inspected, its samples evaluated', () => {
  const archive = zipSync({ 'x.npy': fs.readFileSync(dataFile('evaluation_images.npy')), 'labels.npy': fs.readFileSync(dataFile('evaluation_labels.npy')) },
    { level: 6 });
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qplay-')), 'eval.npz');
  fs.writeFileSync(file, archive);
  const contents = qp.inspectSampleFile(fileReader(file));
  expect(Object.keys(contents.arrays)).toEqual(['x']);
  expect(contents.arrays.x).toMatchObject({ dims: [1000, 1, 28, 28], type: 'float32', nonFinite: null });
  expect(contents.labels.dims).toEqual([1000]);
  const streamed = model.evaluate(fileReader(file), contents.labels, null, null);
  const inMemory = model.evaluate(qp.parseNpy(fs.readFileSync(dataFile('evaluation_images.npy'))), contents.labels, null, null);
  expect(streamed.samples).toBe(1000);
  expect(streamed.accuracy).toBe(inMemory.accuracy);
});

test('a reader that throws, or gives too few bytes, is named and the model stays usable', () => {
  const good = fileReader(dataFile('calibration_images.npy'));
  const failing = { ...good, name: 'gone.npy', read: (offset, length) => (offset > 1000 ? (() => { throw new Error('the file was removed'); })() : good.read(offset, length)) };
  expect(() => model.quantize(config, failing, null)).toThrow('reading gone.npy failed: the file was removed');
  const short = { ...good, name: 'short.npy', read: (offset, length) => good.read(offset, length).subarray(0, Math.max(0, length - 1)) };
  expect(() => model.quantize(config, short, null)).toThrow(/reading short.npy: \d+ bytes at 0 were asked for, read\(\) gave \d+/);
  expect(() => model.quantize(config, { name: 'x.npy', read: good.read }, null)).toThrow('a sample file reader needs a name (string), a size (number) and read(offset, length)');
  const quantized = model.quantize(config, fileReader(dataFile('calibration_images.npy')), null);
  expect(quantized.info().op_histogram.QuantizeLinear).toBeGreaterThan(0);
  quantized.delete();
});

test('a reader limited to some rows feeds those samples; inspecting finds the first NaN', () => {
  const file = dataFile('evaluation_images.npy');
  const all = qp.parseNpy(fs.readFileSync(file));
  const per = 28 * 28;
  const rows = { ...fileReader(file), rows: { start: 600, count: 400 } };
  const contents = qp.inspectSampleFile(rows);
  expect(contents.arrays[''].dims).toEqual([400, 1, 28, 28]);
  expect(Array.from(contents.arrays[''].first.data)).toEqual(Array.from(all.data.subarray(600 * per, 601 * per)));
  expect(contents.arrays[''].nonFinite).toBe(null);
  const tail = { data: all.data.slice(600 * per), dims: [400, 1, 28, 28] };
  expect(model.evaluate(rows, null, null, null).outputs).toEqual(model.evaluate(tail, null, null, null).outputs);
  expect(() => qp.inspectSampleFile({ ...fileReader(file), rows: { start: 900, count: 200 } }))
    .toThrow('evaluation_images.npy: samples 900 to 1100 were asked for, but it holds 1000');

  const bytes = Buffer.from(fs.readFileSync(file));
  const dataStart = bytes.length - 1000 * per * 4;
  bytes.writeFloatLE(NaN, dataStart + (700 * per + 5) * 4);
  const found = qp.inspectSampleFile({ name: 'nan.npy', size: bytes.length, read: (o, l) => bytes.subarray(o, o + l) }).arrays[''].nonFinite;
  expect(found).toEqual({ sample: 700, element: 5, value: NaN });
});
