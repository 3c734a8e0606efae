// The page in a real browser: the bundled example loads in the worker and its summary shows;
// a bad file gives an error naming the problem and the previous model stays.
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { repoRoot, startPage } from './serve-and-launch.mjs';

let session;
beforeAll(async () => {
  session = await startPage();
});
afterAll(async () => {
  await session?.close();
});

test('shows the bundled example model summary', async () => {
  const { page, url } = session;
  await page.goto(url);
  await page.locator('#summary h2').waitFor();
  expect(await page.locator('#summary h2').textContent()).toBe('cnn.onnx');
  const text = await page.locator('#summary').textContent();
  expect(text).toContain('BatchNormalization');
  expect(text).toContain('[batch, 1, 28, 28]');
  expect(text).toContain('Every node can run.');
});

test('a file that is not a model gets an error and the previous model stays', async () => {
  const { page } = session;
  await page.locator('#file').setInputFiles(path.join(repoRoot, 'tests/models/lstm.input.npy'));
  await page.locator('#error').waitFor({ state: 'visible' });
  expect(await page.locator('#error').textContent()).toMatch(/Could not load lstm.input.npy: model is not an ONNX model/);
  expect(await page.locator('#summary h2').textContent()).toBe('cnn.onnx');
});

test('a dropped model replaces the summary', async () => {
  const { page } = session;
  await page.locator('#file').setInputFiles(path.join(repoRoot, 'tests/models/lstm.onnx'));
  await page.waitForFunction(() => document.querySelector('#summary h2')?.textContent === 'lstm.onnx');
  expect(await page.locator('#error').isHidden()).toBe(true);
  expect(await page.locator('#summary').textContent()).toContain('LSTM');
});

test('?model= loads a model from the same site', async () => {
  const { page, url } = session;
  await page.goto(`${url}?model=examples/lstm.onnx`);
  await page.waitForFunction(() => document.querySelector('#summary h2')?.textContent === 'lstm.onnx');
  expect(await page.locator('#summary').textContent()).toContain('LSTM');
});

test('?model= naming a missing file says so', async () => {
  const { page, url } = session;
  await page.goto(`${url}?model=examples/missing.onnx`);
  await page.locator('#error').waitFor({ state: 'visible' });
  expect(await page.locator('#error').textContent()).toMatch(/^Could not fetch examples\/missing.onnx: HTTP 404/);
});

test('the page fetches only its own files', () => {
  const { requests, url } = session;
  const origin = new URL(url).origin;
  expect(requests.filter((r) => !r.startsWith(origin) && !r.startsWith('data:'))).toEqual([]);
});
