// Long work runs in the worker: progress arrives while calibration runs, the page answers
// meanwhile, and Cancel stops the run with the model, samples and recipe kept.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runAndWait, startPage, waitForModel } from './serve-and-launch.mjs';

let session;
beforeAll(async () => {
  session = await startPage();
});
afterAll(async () => {
  await session?.close();
});

test('progress arrives during calibration, the page stays responsive, and Cancel stops the run', async () => {
  const { page, url } = session;
  await page.goto(`${url}?model=examples/transformer.onnx&method=entropy`);
  await waitForModel(page, 'transformer.onnx');
  await page.locator('#run').click();
  await page.waitForFunction(() => {
    const p = document.querySelector('qplay-playground').progress;
    return p && p.phase.startsWith('Calibrating') && p.done > 0 && p.done < p.total;
  }, null, { timeout: 60000, polling: 20 });
  const start = Date.now();
  await page.getByLabel('Search layers').fill('MatMul');
  expect(Date.now() - start).toBeLessThan(1000);
  await session.screenshot('calibrating');
  await page.locator('#cancel').click();
  await page.locator('#run-error').waitFor();
  expect(await page.locator('#run-error').textContent()).toBe('Cancelled. The model, samples and recipe are as they were.');
  expect(new URL(page.url()).searchParams.get('method')).toBe('entropy');

  await page.getByRole('combobox', { name: 'Calibration', exact: true }).selectOption('minmax');
  await runAndWait(page);
  expect(await page.locator('#run-error').count()).toBe(0);
  expect(parseFloat(await page.locator('#quantized-accuracy').textContent())).toBeGreaterThan(80);
  expect(session.errors).toEqual([]);
});
