// If the wasm instance traps anyway, the page replaces the worker, loads the model and samples
// again, says what happened, and the next run gives the same results as before.
import { expect, test } from 'vitest';
import { runAndWait, usePage, waitForModel } from './serve-and-launch.mjs';

const session = usePage();
// The engine's worker, not the threaded module's own pthread workers.
const engineWorkers = (page) => page.workers().filter((w) => !/qplay-threads(-relaxed)?\.worker\.js$/.test(w.url()));

test('a trap in the worker restarts the engine with the model and samples kept', async () => {
  const { page, url } = session;
  await page.goto(url);
  await waitForModel(page, 'cnn.onnx');
  await runAndWait(page);
  const before = await page.locator('#quantized-accuracy').textContent();

  // The worker answers the next quantize as it answers a trap (worker.ts: a WebAssembly.RuntimeError is fatal).
  const [worker] = engineWorkers(page);
  await worker.evaluate(() => {
    const handle = self.onmessage;
    self.onmessage = (event) => {
      if (event.data.method !== 'quantize') return handle.call(self, event);
      self.onmessage = handle;
      self.postMessage({ id: event.data.id, ok: false, error: new WebAssembly.RuntimeError('unreachable').message, fatal: true });
    };
  });
  await runAndWait(page);
  expect(await page.locator('#run-error').textContent()).toBe('The run failed: unreachable (the engine restarted; your model and samples are loaded again)');
  // The replaced worker's closing is reported late: its threads close first.
  await expect.poll(() => engineWorkers(page).length, { timeout: 10000 }).toBe(1);
  expect(engineWorkers(page)[0]).not.toBe(worker);

  await runAndWait(page);
  expect(await page.locator('#run-error').count()).toBe(0);
  expect(await page.locator('#quantized-accuracy').textContent()).toBe(before);
  expect(session.errors).toEqual([]);
});
