// Other ways in, and bad input: a second model through the file picker, a folder of labelled
// images, broken files and samples of the wrong shape or with NaN. Each error is shown inline
// and what the person set up stays usable.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { beforeAll, expect, test } from 'vitest';
import { downloadAndRun } from './downloaded-model.mjs';
import { repoRoot, runAndWait, usePage, waitForModel } from './serve-and-launch.mjs';

const session = usePage();
beforeAll(async () => {
  await session.page.goto(session.url);
  await waitForModel(session.page, 'cnn.onnx');
});

const app = (page, expression) => page.evaluate(`document.querySelector('qplay-playground').${expression}`);

// A float32 .npy file of `dims` with the given values.
function writeNpy(dims, values) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims.join(', ')}${dims.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((header.length + 10) % 64)) + '\n';
  const prefix = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0]), Buffer.from(Uint16Array.of(header.length).buffer), Buffer.from(header)]);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qplay-')), 'samples.npy');
  fs.writeFileSync(file, Buffer.concat([prefix, Buffer.from(Float32Array.from(values).buffer)]));
  return file;
}

test('a file that is not a model gets an error naming it, and the model stays', async () => {
  const { page } = session;
  await page.locator('#model-file').setInputFiles(path.join(repoRoot, 'tests/models/lstm.input.npy'));
  await page.locator('#model-error').waitFor();
  expect(await page.locator('#model-error').textContent()).toMatch(/^Could not load lstm.input.npy: model is not an ONNX model/);
  expect(await app(page, 'modelName')).toBe('cnn.onnx');
  expect(await page.locator('#model-status').textContent()).toBe('cnn.onnx is still loaded.');
  await session.screenshot('model-error');
});

test('a model with an op the runtime lacks is refused, naming node and op', async () => {
  const { page } = session;
  await page.locator('#model-file').setInputFiles('/usr/share/libonnx-testdata/data/node/test_tfidfvectorizer_tf_only_bigrams_skip0/model.onnx');
  await page.getByText(/^Could not load model.onnx: cannot run node '.*' \(TfIdfVectorizer\): op TfIdfVectorizer is not supported/).waitFor();
  expect(await app(page, 'modelName')).toBe('cnn.onnx');
});

test('a model dropped anywhere on the page replaces the loaded one', async () => {
  const { page } = session;
  await page.evaluate(async () => {
    const bytes = await (await fetch('examples/lstm.onnx')).arrayBuffer();
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], 'lstm.onnx'));
    document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  });
  await waitForModel(page, 'lstm.onnx');
  expect(await page.locator('#model-name').textContent()).toBe('lstm.onnx');
  await page.getByRole('button', { name: 'cnn.onnx' }).click();
  await waitForModel(page, 'cnn.onnx');
});

test('the loaded model converts to a newer opset and downloads; onnxruntime-node runs it', async () => {
  const { page } = session;
  await page.locator('#convert-opset').fill('21');
  const { name, logits } = await downloadAndRun(page, '#convert');
  expect(name).toBe('cnn.opset21.onnx');
  expect(logits.dims).toEqual([1, 10]);
  expect(await page.locator('#model-status').textContent()).toBe('Converted cnn.onnx to opset 21.');
});

test('a float16 copy with float32 inputs and outputs downloads; onnxruntime-node runs it', async () => {
  const { page } = session;
  await page.locator('#keep-io-types').check();
  const { name, logits } = await downloadAndRun(page, '#convert-float16');
  expect(name).toBe('cnn.fp16.onnx');
  expect([logits.type, logits.dims]).toEqual(['float32', [1, 10]]);
  expect(await page.locator('#model-status').textContent()).toBe('Converted cnn.onnx to float16.');
});

test('samples of the wrong shape or with NaN are refused by name; the previous samples stay', async () => {
  const { page } = session;
  const csv = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qplay-')), 'rows.csv');
  fs.writeFileSync(csv, 'a,b,label\n1,2,0\n3,4,1\n5,6,0\n');
  await page.locator('#sample-files').setInputFiles(csv);
  await page.getByText("samples are [2] but input 'input' takes [1, 28, 28] per sample").waitFor();
  await page.locator('#sample-files').setInputFiles(writeNpy([3, 1, 28, 28], Array.from({ length: 3 * 784 }, (_, i) => (i === 900 ? NaN : 0))));
  await page.getByText('samples.npy: sample 1 contains NaN (NaN or infinity)').waitFor();
  expect(await page.locator('#samples-summary').textContent()).toContain('200 calibration samples');
  await runAndWait(page);
  expect(await page.locator('#quantized-accuracy').textContent()).toMatch(/^\d+\.\d%$/);
});

test('a folder of images, one folder per class, becomes labelled samples split for calibration', async () => {
  const { page } = session;
  await page.locator('#sample-folder').setInputFiles(path.join(repoRoot, 'examples/data/calibration'));
  await page.waitForFunction(() => document.querySelector('qplay-playground').renderRoot.querySelector('qp-samples-panel')
    .summary.includes('200 images'));
  expect(await page.locator('#samples-summary').textContent()).toBe(
    '40 calibration samples (200 images (calibration)) and 160 evaluation samples (200 images (evaluation)), with labels.');
  await runAndWait(page);
  const accuracy = parseFloat(await page.locator('#float-accuracy').textContent());
  expect(accuracy).toBeGreaterThan(85);  // the PNGs decode to what the model was trained on
  expect(await page.locator('#metrics').textContent()).not.toContain('PyTorch');  // measured on other samples
  await session.screenshot('image-samples');
});

// The worker keeps the File and reads its rows a run at a time (FileReaderSync), never the whole set.
test('an .npz of samples and labels stays in its file and goes through the whole flow', async () => {
  const { page } = session;
  const data = (name) => fs.readFileSync(path.join(repoRoot, 'examples/data', name));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qplay-')), 'set.npz');
  fs.writeFileSync(file, zipSync({ 'x.npy': data('evaluation_images.npy'), 'labels.npy': data('evaluation_labels.npy') }, { level: 6 }));
  await page.locator('#sample-files').setInputFiles(file);
  await page.waitForFunction(() => document.querySelector('qplay-playground').renderRoot.querySelector('qp-samples-panel')
    .summary.includes('set.npz'));
  expect(await page.locator('#samples-summary').textContent()).toBe(
    '200 calibration samples (set.npz (calibration)) and 800 evaluation samples (set.npz (evaluation)), with labels.');
  await runAndWait(page);
  expect(parseFloat(await page.locator('#float-accuracy').textContent())).toBeGreaterThan(85);
  expect(await page.locator('#quantized-accuracy').textContent()).toMatch(/^\d+\.\d%$/);
});

test('a second model through the file picker goes through the same flow', async () => {
  const { page } = session;
  await page.locator('#model-file').setInputFiles(path.join(repoRoot, 'examples/models/transformer.onnx'));
  await waitForModel(page, 'transformer.onnx');
  expect(await page.locator('#model-error').count()).toBe(0);
  expect(await page.locator('#model-name').textContent()).toBe('transformer.onnx');
  await runAndWait(page);
  expect(await page.locator('#run-error').count()).toBe(0);
  expect(parseFloat(await page.locator('#float-accuracy').textContent())).toBeGreaterThan(85);
  expect(parseFloat(await page.locator('#quantized-accuracy').textContent())).toBeGreaterThan(80);
});

test('?model= naming a missing file says so', async () => {
  const { page, url } = session;
  await page.goto(`${url}?model=examples/missing.onnx`);
  await page.locator('#model-error').waitFor();
  expect(await page.locator('#model-error').textContent()).toMatch(/^Could not fetch examples\/missing.onnx: HTTP 404/);
});

// make serve (Vite's preview) sends COOP and COEP, so the engine runs the threaded module, in
// its relaxed-SIMD build since Chromium runs relaxed SIMD.
test('the page is cross-origin isolated and its engine runs the threaded relaxed-SIMD module', async () => {
  expect(await session.page.evaluate('crossOriginIsolated')).toBe(true);
  expect(session.requests.some((r) => r.endsWith('/qplay-threads-relaxed.wasm'))).toBe(true);
  expect(session.requests.filter((r) => /\/qplay(-threads)?\.wasm$/.test(r))).toEqual([]);
});

test('no page error and no request outside the origin', () => {
  const origin = new URL(session.url).origin;
  expect(session.requests.filter((r) => !r.startsWith(origin) && !r.startsWith('data:') && !r.startsWith('blob:'))).toEqual([]);
  expect(session.errors).toEqual([]);
});
