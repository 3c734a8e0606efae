// Long work runs in the worker: progress arrives while calibration runs, the page answers
// meanwhile, and Cancel stops the run with the model, samples and recipe kept.
import path from 'node:path';
import { expect, test } from 'vitest';
import { repoRoot, runAndWait, usePage, waitForModel } from './serve-and-launch.mjs';

const session = usePage();

test('progress arrives during calibration, the page stays responsive, and Cancel stops the run', async () => {
  const { page, url } = session;
  await page.goto(`${url}?model=examples/transformer.onnx&method=entropy`);
  await waitForModel(page, 'transformer.onnx');
  // 900 calibration samples with entropy calibration: a run of many seconds.
  await page.locator('#sample-files').setInputFiles(path.join(repoRoot, 'examples/data/evaluation_images.npy'));
  await page.getByText('200 calibration samples (evaluation_images.npy (calibration))').waitFor();
  await page.getByLabel('Calibration share').fill('0.9');
  await page.getByText('900 calibration samples').waitFor();
  await page.evaluate(() => {
    window.progressEvents = [];
    document.addEventListener('qplay-progress', (e) => window.progressEvents.push(e.detail));
  });
  await page.locator('#run').click();
  await page.waitForFunction(() => window.progressEvents.some((p) => p.phase.startsWith('Calibrating') && p.done > 0 && p.done < p.total),
    null, { timeout: 60000 });
  const start = Date.now();
  await page.getByLabel('Search layers').fill('MatMul');
  expect(Date.now() - start).toBeLessThan(1000);
  await page.locator('#cancel').click();
  await page.locator('#run-error').waitFor();
  expect(await page.locator('#run-error').textContent()).toBe('Cancelled. The model, samples and recipe are as they were.');
  const seen = await page.evaluate(() => window.progressEvents.length);
  expect(seen).toBeGreaterThan(1);
  expect(new URL(page.url()).searchParams.get('method')).toBe('entropy');

  await page.getByRole('combobox', { name: 'Calibration', exact: true }).selectOption('minmax');
  await page.getByRole('spinbutton', { name: 'Calibration samples (0 = all)' }).fill('50');
  await page.getByRole('spinbutton', { name: 'Calibration samples (0 = all)' }).blur();
  await runAndWait(page);
  expect(await page.locator('#run-error').count()).toBe(0);
  expect(await page.locator('#samples-summary').textContent()).toContain('900 calibration samples');
  expect(session.errors).toEqual([]);
});

test('a run in progress shows its phase and progress bar', async () => {
  const { page } = session;
  await page.getByRole('combobox', { name: 'Calibration', exact: true }).selectOption('entropy');
  await page.getByRole('spinbutton', { name: 'Calibration samples (0 = all)' }).fill('0');
  await page.getByRole('spinbutton', { name: 'Calibration samples (0 = all)' }).blur();
  await page.locator('#run').click();
  await page.locator('#progress').waitFor();
  await session.screenshot('calibrating');
  await page.locator('#cancel').click();
  await page.locator('#run-error').waitFor();
});
