// The analyzer's heavier tools on the page, on the bundled CNN: the fallback search finds the
// nodes the CLI finds for the same target, its model runs in onnxruntime-node and goes into the
// recipe; the analysis report downloads; Cancel stops a search with the results kept.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { downloadAndRun } from './downloaded-model.mjs';
import { repoRoot, runAndWait, usePage, waitForModel } from './serve-and-launch.mjs';

const data = (file) => path.join(repoRoot, 'examples/data', file);
const pct = (v) => `${(100 * v).toFixed(1)}%`;

// What `qplay quantize --max-accuracy-drop` decides for the page's default recipe and samples.
function cliFallback(drop) {
  const out = path.join(repoRoot, 'build/cli-page-fallback.onnx');
  const report = JSON.parse(execFileSync(path.join(repoRoot, 'build/native/qplay'), ['quantize', path.join(repoRoot, 'examples/models/cnn.onnx'),
    '-o', out, '--calib', data('calibration_images.npy'), '--max-accuracy-drop', String(drop),
    '--eval-data', data('evaluation_images.npy'), '--eval-labels', data('evaluation_labels.npy'), '--json']).toString());
  return report.fallback;
}

const session = usePage();

test('the fallback search keeps the nodes the CLI keeps, and its model runs in onnxruntime-node', async () => {
  const { page, url } = session;
  await page.goto(url);
  await waitForModel(page, 'cnn.onnx');
  await runAndWait(page);
  await page.getByRole('spinbutton', { name: 'Largest accuracy drop (points)' }).fill('0.2');
  await page.getByRole('spinbutton', { name: 'Largest accuracy drop (points)' }).blur();
  await page.locator('#fallback-run').click();
  await page.locator('#analysis-progress').waitFor();
  expect(await page.locator('#run').isDisabled()).toBe(true);  // one run at a time
  await page.locator('#fallback-summary').waitFor({ timeout: 180000 });
  const expected = cliFallback(0.2);
  const kept = expected.kept_nodes.length;
  expect(await page.locator('#fallback-summary').textContent()).toBe(`Meets the target with ${kept} node${kept > 1 ? 's' : ''} kept float.`);
  expect(await page.locator('#fallback-accuracy').textContent()).toBe(pct(expected.evaluation.compare.accuracy));
  expect(await page.locator('#fallback-agreement').textContent()).toBe(pct(expected.evaluation.compare.agreement));
  const firstRow = await page.locator('#sensitivity-table tr.kept').first().textContent();
  expect(firstRow).toContain(expected.kept_nodes[0]);
  await session.screenshot('fallback');

  const { name, logits } = await downloadAndRun(page, '#fallback-download');
  expect(name).toBe('cnn.fallback.onnx');
  expect(logits.dims).toEqual([1, 10]);
  expect(session.errors).toEqual([]);
});

test('the analysis report downloads as the versioned JSON the CLI writes', async () => {
  const { page } = session;
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 120000 }), page.locator('#analysis-report').click()]);
  expect(download.suggestedFilename()).toBe('cnn.analysis.json');
  const report = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  expect(report).toMatchObject({ format: 'qplay-analysis', version: 1, samples: 1000 });
  expect(report.layers[0].sqnr_db).toBeLessThanOrEqual(report.layers.at(-1).sqnr_db);
  expect(report.activation_ranges[0].methods).toHaveProperty('entropy');
  expect(report.profile.quantized.op_types).toHaveProperty('QLinearConv');
});

test('Cancel stops a search and keeps the results; the kept nodes go into the recipe', async () => {
  const { page } = session;
  const results = await page.evaluate(() => (window.resultsBefore = document.querySelector('qplay-playground').results) !== null);
  expect(results).toBe(true);
  await page.locator('#fallback-run').click();
  await page.locator('#analysis-progress').waitFor();
  await page.locator('#analysis-cancel').click();
  await page.locator('#analysis-error').waitFor();
  expect(await page.locator('#analysis-error').textContent()).toBe('Cancelled. The model, samples and results are as they were.');
  expect(await page.evaluate(() => document.querySelector('qplay-playground').results === window.resultsBefore)).toBe(true);

  // Again to the end, then into the recipe: the re-run's accuracy is the fallback's.
  await page.locator('#fallback-run').click();
  await page.locator('#fallback-summary').waitFor({ timeout: 180000 });
  const fallbackAccuracy = await page.locator('#fallback-accuracy').textContent();
  await page.evaluate(() => (window.previousResults = document.querySelector('qplay-playground').results));
  await page.locator('#fallback-apply').click();
  await page.waitForFunction(() => {
    const app = document.querySelector('qplay-playground');
    return app.progress === null && app.results !== window.previousResults;
  }, null, { timeout: 120000 });
  const expected = cliFallback(0.2);
  expect(new URL(page.url()).searchParams.getAll('exclude').join(',')).toContain(expected.kept_nodes[0]);
  expect(await page.locator('#quantized-accuracy').textContent()).toBe(fallbackAccuracy);
  expect(session.errors).toEqual([]);
});
