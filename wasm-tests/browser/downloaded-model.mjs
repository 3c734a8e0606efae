// A model the page hands over for download, loaded as a person would: its file name, and the
// logits onnxruntime-node computes with it on `batch` 28x28 images of one constant `value`.
import fs from 'node:fs';
import { createOrtNodeSession, ort } from '../ort-node.mjs';

export async function downloadAndRun(page, button, { batch = 1, value = 0.2 } = {}) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator(button).click()]);
  const model = await createOrtNodeSession(fs.readFileSync(await download.path()));
  const input = new ort.Tensor('float32', new Float32Array(batch * 784).fill(value), [batch, 1, 28, 28]);
  const { logits } = await model.run({ input });
  return { name: download.suggestedFilename(), logits };
}
