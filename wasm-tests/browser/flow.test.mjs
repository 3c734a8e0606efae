// The whole flow in a real browser on the bundled CNN: quantize with the default recipe, the
// numbers match the CLI's on the same data, the downloads load in onnxruntime-node; a layer
// kept in float re-runs; the recipe lives in the URL; a weight-only recipe at accuracy level 4;
// screenshots in light and dark.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { downloadAndRun } from './downloaded-model.mjs';
import { repoRoot, runAndWait, usePage, waitForModel } from './serve-and-launch.mjs';

const qplay = path.join(repoRoot, 'build/native/qplay');
const data = (file) => path.join(repoRoot, 'examples/data', file);

// The CLI's accuracy for the same recipe and data, as the page prints it ("91.8%").
function cliAccuracy(options) {
  const out = path.join(repoRoot, 'build/cli-page-check.onnx');
  execFileSync(qplay, ['quantize', path.join(repoRoot, 'examples/models/cnn.onnx'), '-o', out, '--calib', data('calibration_images.npy'), ...options]);
  const report = JSON.parse(execFileSync(qplay, ['eval', path.join(repoRoot, 'examples/models/cnn.onnx'), '--compare', out,
    '--data', data('evaluation_images.npy'), '--labels', data('evaluation_labels.npy'), '--json']).toString());
  const pct = (v) => `${(100 * v).toFixed(1)}%`;
  return { float: pct(report.accuracy), quantized: pct(report.compare.accuracy), agreement: pct(report.compare.agreement) };
}

const session = usePage();

test("the bundled CNN quantizes with the default recipe to the CLI's numbers", async () => {
  const { page, url } = session;
  await page.goto(url);
  await waitForModel(page, 'cnn.onnx');
  expect(await page.locator('#samples-summary').textContent()).toContain('200 calibration samples');
  await session.screenshot('loaded');
  await runAndWait(page);
  expect(await page.locator('#run-error').count()).toBe(0);
  const expected = cliAccuracy([]);
  expect(await page.locator('#float-accuracy').textContent()).toBe(expected.float);
  expect(await page.locator('#quantized-accuracy').textContent()).toBe(expected.quantized);
  expect(await page.locator('#agreement').textContent()).toBe(expected.agreement);
  const reference = JSON.parse(fs.readFileSync(path.join(repoRoot, 'examples/models/reference_quantization.json'), 'utf8')).cnn;
  expect(await page.locator('#metrics').textContent()).toContain('PyTorch qnnpack (static)');
  expect(await page.locator('#metrics').textContent()).toContain(`${(100 * reference.engines.qnnpack.static).toFixed(1)}%`);
  await page.locator('#layer-select').selectOption({ index: 1 });
  await page.locator('#layer-detail-title').waitFor();
  await session.screenshot('results');
  expect(session.errors).toEqual([]);
});

test('the theme follows the system until a theme is picked', async () => {
  const { page } = session;
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const light = await background();
  await page.getByRole('combobox', { name: 'Theme' }).selectOption('dark');
  expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
  expect(await background()).not.toBe(light);
  await page.getByRole('combobox', { name: 'Theme' }).selectOption('system');
  expect(await background()).toBe(light);
});

test('fine-tuning with QAT trains in the worker, shows float / PTQ / QAT, and downloads a model onnxruntime runs', async () => {
  const { page } = session;
  await page.getByRole('spinbutton', { name: 'Epochs' }).fill('1');
  await page.getByRole('spinbutton', { name: 'Epochs' }).blur();
  await page.locator('#qat-run').click();
  await page.locator('#qat-progress').waitFor();
  expect(await page.locator('#run').isDisabled()).toBe(true);  // one run at a time
  await page.locator('#qat-accuracy').waitFor({ timeout: 120000 });
  expect(await page.locator('#qat-accuracy').textContent()).toMatch(/^\d+\.\d%$/);
  expect(await page.locator('#qat-table').textContent()).toMatch(/QAT \(epoch 1\)/);
  await session.screenshot('qat');
  const { name, logits } = await downloadAndRun(page, '#qat-download');
  expect(name).toBe('cnn.qat.onnx');
  expect(logits.dims).toEqual([1, 10]);
  expect(await page.locator('#run').isDisabled()).toBe(false);
});

test('the downloaded model and report load: the model runs in onnxruntime-node', async () => {
  const { page } = session;
  const { name, logits } = await downloadAndRun(page, '#download-model', { batch: 2, value: 0.5 });
  expect(name).toBe('cnn.quant.onnx');
  expect(logits.dims).toEqual([2, 10]);
  expect(Array.from(logits.data).every(Number.isFinite)).toBe(true);
  const [report] = await Promise.all([page.waitForEvent('download'), page.locator('#download-report').click()]);
  const json = JSON.parse(fs.readFileSync(await report.path(), 'utf8'));
  expect(json).toMatchObject({ format_version: 1, model: 'cnn.onnx', metrics: { samples: 1000 } });
  expect(json.layers.activations.length).toBeGreaterThan(5);
});

test('keeping the worst layer in float re-runs with it excluded, and the URL holds the recipe', async () => {
  const { page } = session;
  await page.locator('#layer-select').selectOption({ index: 1 });
  const node = await page.evaluate(() => document.querySelector('qplay-playground').renderRoot
    .querySelector('qp-results').selected.node);
  await page.evaluate(() => (window.previousResults = document.querySelector('qplay-playground').results));
  await page.getByRole('button', { name: `Keep ${node} in float and re-run` }).click();
  await page.waitForFunction(() => {
    const app = document.querySelector('qplay-playground');
    return app.progress === null && app.results !== window.previousResults;
  }, null, { timeout: 120000 });
  expect(new URL(page.url()).searchParams.get('exclude')).toBe(node);
  const fate = await page.evaluate((n) => document.querySelector('qplay-playground').layers.find((l) => l.node === n).fate, node);
  expect(fate).toBe('float');
  expect(await page.getByRole('button', { name: `quantize ${node} again` }).count()).toBe(1);
});

test('a link with a recipe reproduces it', async () => {
  const { page, url } = session;
  await page.goto(`${url}?per_channel=1&method=percentile&percentile=99.99`);
  await waitForModel(page, 'cnn.onnx');
  expect(await page.getByLabel('Per channel').isChecked()).toBe(true);
  expect(await page.getByLabel('Percentile', { exact: true }).inputValue()).toBe('99.99');
  await runAndWait(page);
  const expected = cliAccuracy(['--per-channel', '--method', 'percentile', '--percentile', '99.99']);
  expect(await page.locator('#quantized-accuracy').textContent()).toBe(expected.quantized);
});

test('a weight-only recipe computing in int8 (accuracy level 4) gives the CLI\'s numbers, and a later static run drops it', async () => {
  const { page, url } = session;
  await page.goto(`${url}?mode=weight_only&bits=4&accuracy=4`);
  await waitForModel(page, 'cnn.onnx');
  expect(await page.getByLabel('Activations computed in').inputValue()).toBe('4');
  await runAndWait(page);
  expect(await page.locator('#run-error').count()).toBe(0);
  const expected = cliAccuracy(['--mode', 'weight-only', '--bits', '4', '--accuracy-level', '4']);
  expect(await page.locator('#quantized-accuracy').textContent()).toBe(expected.quantized);
  await page.getByLabel('Mode', { exact: true }).selectOption('static');
  await runAndWait(page);
  expect(await page.locator('#run-error').count()).toBe(0);
  expect(session.errors).toEqual([]);
});

test('the page fetches only its own files', () => {
  const origin = new URL(session.url).origin;
  expect(session.requests.filter((r) => !r.startsWith(origin) && !r.startsWith('data:') && !r.startsWith('blob:'))).toEqual([]);
});
