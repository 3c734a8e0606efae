// The guide and the embedding docs in a real browser: every page's widgets load and show the
// core's numbers (checked by hand and against the wasm module in Node), dragging a slider
// recomputes them, a page embedding two widgets keeps its own styles, nothing leaves the origin.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { loadQplay } from '../wasm/load-qplay.mjs';
import { repoRoot, usePage } from './serve-and-launch.mjs';

const session = usePage();
let qp;
beforeAll(async () => {
  qp = await loadQplay();
});

const pages = fs.readdirSync(path.join(repoRoot, 'build/web/docs')).filter((f) => f.endsWith('.html'));

// Waits until every widget on the page has a value (or the playground its model), or one shows an error.
async function waitForWidgets(page) {
  await page.waitForFunction(() => {
    const widgets = [...document.querySelectorAll('*')].filter((e) => e.localName.startsWith('qplay-') && e.localName !== 'qplay-playground');
    const playgrounds = [...document.querySelectorAll('qplay-playground')];
    return widgets.every((w) => w.value || w.error) && playgrounds.every((p) => p.modelName && p.haveSamples);
  }, null, { timeout: 60000 });
  return page.evaluate(() => [...document.querySelectorAll('*')].filter((e) => e.localName.startsWith('qplay-') && e.localName !== 'qplay-playground')
    .map((w) => ({ tag: w.localName, error: w.error })));
}

test.each(pages.filter((p) => p !== 'embed-test.html'))('%s loads with every widget working', async (name) => {
  const { page, url } = session;
  await page.goto(`${url}docs/${name}`);
  const widgets = await waitForWidgets(page);
  expect(widgets.filter((w) => w.error)).toEqual([]);
  if (['02-affine.html', '06-per-channel.html', '08-calibration.html', '10-qdq.html', '12-cle.html', 'embedding.html'].includes(name))
    await session.screenshot(`docs-${name.replace('.html', '')}`);
});

test('the parameters widget shows the hand-computed example, and typing or dragging recomputes it in the core', async () => {
  const { page, url } = session;
  await page.goto(`${url}docs/04-parameters.html`);
  await waitForWidgets(page);
  const widget = page.locator('qplay-affine');
  // [-1, 3] in uint8: scale 4/255, zero point round(63.75) = 64.
  expect(await widget.locator('#scale').textContent()).toBe('0.015686');
  expect(await widget.locator('#zero-point').textContent()).toBe('64');
  // The grid: level 0 is (0 − 64) × 4/255 = −1.0039, level 255 is 191 × 4/255 = 2.9961, and 0 is exact.
  expect(await widget.locator('#grid').textContent()).toContain('-1.0039 (level 0), …, -0.031373, -0.015686, 0.0000, 0.015686, 0.031373, …, 2.9961 (level 255)');
  // [-2, 3]: scale 5/255, zero point round(2 / (5/255)) = 102.
  await widget.getByRole('spinbutton', { name: 'minimum' }).fill('-2');
  await widget.getByRole('spinbutton', { name: 'minimum' }).blur();
  await page.waitForFunction(() => document.querySelector('qplay-affine').value.rmin === -2);
  expect(await widget.locator('#zero-point').textContent()).toBe('102');
  expect(await page.evaluate(() => document.querySelector('qplay-affine').value.scale)).toBe(Math.fround(5 / 255));

  // Drag the maximum down with the keyboard: every step is a new range, recomputed by the core.
  await page.evaluate(() => {
    window.inputEvents = 0;
    document.querySelector('qplay-affine').addEventListener('input', () => window.inputEvents++);
  });
  await widget.getByRole('slider', { name: 'range maximum' }).focus();
  for (let i = 0; i < 40; i++) await page.keyboard.press('ArrowLeft');
  await page.waitForFunction(() => {
    const v = document.querySelector('qplay-affine').value;
    return window.inputEvents > 0 && v.rmax < 3;
  });
  await page.waitForTimeout(300);  // the last of the drag's results
  const v = await page.evaluate(() => document.querySelector('qplay-affine').value);
  const expected = qp.quantParams(v.rmin, v.rmax, { type: 'uint8' });
  expect(v.scale).toBe(expected.scale);
  expect(v.zero_point).toBe(expected.zero_point);
  expect(await widget.locator('#zero-point').textContent()).toBe(String(expected.zero_point));
});

test('fake quantization: the worked example of the QAT section, and a clipped value gets no gradient', async () => {
  const { page, url } = session;
  await page.goto(`${url}docs/09-qat.html`);
  await waitForWidgets(page);
  // int8 symmetric over [-1, 1]: scale 2/254; 0.3 / scale = 38.1 -> level 38 -> 38 x 2/254.
  const at = () => page.evaluate(() => document.querySelector('qplay-fake-quant').value);
  expect(await at()).toMatchObject({ level: 38, gradient: 1, scale: Math.fround(2 / 254) });
  expect((await at()).fake_quantized).toBeCloseTo(38 * (2 / 254), 6);
  await page.getByRole('slider', { name: 'x' }).fill('1.2');
  await page.waitForFunction(() => document.querySelector('qplay-fake-quant').value.x === 1.2);
  expect(await at()).toMatchObject({ level: 127, fake_quantized: 1, gradient: 0 });
  expect(await page.locator('qplay-fake-quant #gradient').textContent()).toBe('0');
});

test('the QDQ graph shows BatchNorm folded, Q/DQ pairs, and integer operators', async () => {
  const { page, url } = session;
  await page.goto(`${url}docs/10-qdq.html`);
  await waitForWidgets(page);
  const v = await page.evaluate(() => document.querySelector('qplay-qdq-graph').value);
  expect(v.float).toEqual(['Conv', 'Relu', 'MaxPool', 'Conv']);
  expect(v.qdq.filter((op) => !/Linear$/.test(op))).toEqual(['Conv', 'MaxPool', 'Conv']);  // the Relu fused away
  expect(v.qdq[0]).toBe('QuantizeLinear');
  expect(v.qoperator).toEqual(['QuantizeLinear', 'QLinearConv', 'MaxPool', 'QLinearConv']);
});

test('the backend diff and CLE widgets show what changes', async () => {
  const { page, url } = session;
  await page.goto(`${url}docs/11-backends.html`);
  await waitForWidgets(page);
  const backends = await page.evaluate(() => document.querySelector('qplay-backend-diff').value);
  expect(Object.keys(backends.presets)).toEqual(['onnxruntime', 'onnxruntime-qoperator', 'tflite', 'tensorrt', 'xnnpack']);
  // TensorRT's symmetric int8 activations cannot clamp like a ReLU, so its ReLUs stay nodes of their own.
  expect(backends.differing_nodes.every((n) => n.endsWith('Relu'))).toBe(true);
  await page.goto(`${url}docs/12-cle.html`);
  await waitForWidgets(page);
  const cle = await page.evaluate(() => document.querySelector('qplay-cle').value);
  expect(cle.after_sqnr_db).toBeGreaterThan(cle.before_sqnr_db);
});

test('bits="16" gives the int16 grid: 257 times finer than int8 on the same range', async () => {
  const { page, url } = session;
  await page.goto(`${url}docs/05-int16.html`);
  await waitForWidgets(page);
  const v = await page.evaluate(() => document.querySelector('qplay-affine').value);
  expect(v).toMatchObject({ type: 'int16', qmin: -32768, qmax: 32767 });
  expect(v.scale).toBeCloseTo((v.rmax - Math.min(v.rmin, 0)) / 65535, 9);
});

test('per-channel weights beat a per-tensor scale on the real convolution', async () => {
  const { page, url } = session;
  await page.goto(`${url}docs/06-per-channel.html`);
  await waitForWidgets(page);
  const v = await page.evaluate(() => document.querySelector('qplay-per-channel').value);
  expect(v.per_channel_sqnr_db).toBeGreaterThan(v.per_tensor_sqnr_db);
  expect(v.channels.every((c) => c.per_channel >= c.per_tensor - 1e-9)).toBe(true);
});

test('the calibration widget shows each method clipping no more than MinMax allows', async () => {
  const { page, url } = session;
  await page.goto(`${url}docs/08-calibration.html`);
  await waitForWidgets(page);
  const { methods } = await page.evaluate(() => document.querySelector('qplay-histogram-ranges').value);
  expect(Object.keys(methods).sort()).toEqual(['entropy', 'minmax', 'moving-average', 'mse', 'percentile']);
  expect(methods.minmax.clipped_fraction).toBe(0);
  const before = methods.percentile.max;
  await page.getByRole('spinbutton', { name: 'Percentile' }).fill('99');
  await page.getByRole('spinbutton', { name: 'Percentile' }).blur();
  await page.waitForFunction((b) => document.querySelector('qplay-histogram-ranges').value.methods.percentile.max < b, before);
});

test('a page embedding two widgets keeps its own styles, and the widgets theirs', async () => {
  const { page, url } = session;
  await page.goto(`${url}docs/embed-test.html`);
  expect(await waitForWidgets(page)).toEqual([{ tag: 'qplay-affine', error: '' }, { tag: 'qplay-per-channel', error: '' }]);
  const styles = await page.evaluate(() => {
    const host = getComputedStyle(document.querySelector('#host-text'));
    const title = document.querySelector('#affine').shadowRoot.querySelector('h3');
    return { hostColor: host.color, hostFont: host.fontFamily, widgetColor: getComputedStyle(title).color };
  });
  expect(styles.hostColor).toBe('rgb(120, 20, 20)');
  expect(styles.hostFont).toMatch(/Georgia/);
  expect(styles.widgetColor).not.toBe('rgb(120, 20, 20)');
  const affine = await page.evaluate(() => document.querySelector('#affine').value);
  expect(affine).toMatchObject({ scale: Math.fround(4 / 255), zero_point: 64 });
  await session.screenshot('embed-test');
});

test('the playground in an iframe shows only the parts the URL keeps', async () => {
  const { page, url } = session;
  await page.setContent(`<iframe src="${url}index.html?per_channel=1&hide=header,samples,recipe" style="width: 1200px; height: 900px"></iframe>`);
  const frame = page.frameLocator('iframe');
  await frame.locator('#run').waitFor();
  await page.frames()[1].waitForFunction(() => document.querySelector('qplay-playground').haveSamples);
  expect(await frame.locator('header').count()).toBe(0);
  expect(await frame.locator('qp-samples-panel').isVisible()).toBe(false);
  expect(await frame.locator('qp-recipe-panel').isVisible()).toBe(false);
  await frame.locator('#run').click();
  await frame.locator('#quantized-accuracy').waitFor({ timeout: 60000 });
  expect(await frame.locator('#quantized-accuracy').textContent()).toMatch(/^\d+\.\d%$/);
});

test('no docs page fetches anything outside its origin, and none had an error', () => {
  const origin = new URL(session.url).origin;
  expect(session.requests.filter((r) => !r.startsWith(origin) && !r.startsWith('data:') && !r.startsWith('blob:'))).toEqual([]);
  expect(session.errors).toEqual([]);
});
