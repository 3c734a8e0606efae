// The page: load a model (bundled example, file picker, drag and drop, or ?model=URL) and show its summary.
import { Engine } from './engine.js';
import { renderSummary } from './summary-view.js';

const engine = new Engine();
const summary = document.querySelector('#summary');
const error = document.querySelector('#error');
const status = document.querySelector('#status');

async function show(name, bytes) {
  status.textContent = `Loading ${name}…`;
  try {
    const info = await engine.loadModel(bytes);
    summary.innerHTML = renderSummary(name, info);
    error.hidden = true;
    status.textContent = `Loaded ${name}.`;
  } catch (e) {
    error.textContent = `Could not load ${name}: ${e.message}`;
    error.hidden = false;
    status.textContent = 'The previous model is still loaded.';
  }
}

async function fetchModel(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Could not fetch ${url}: HTTP ${response.status} ${response.statusText}`.trim());
  await show(url.split('/').pop(), await response.arrayBuffer());
}

document.querySelector('#file').addEventListener('change', async (event) => {
  const file = event.target.files[0];
  if (file) await show(file.name, await file.arrayBuffer());
});

document.addEventListener('dragover', (event) => event.preventDefault());
document.addEventListener('drop', async (event) => {
  event.preventDefault();
  const file = event.dataTransfer.files[0];
  if (file) await show(file.name, await file.arrayBuffer());
});

const requested = new URLSearchParams(location.search).get('model');
fetchModel(requested || 'examples/cnn.onnx').catch((e) => {
  error.textContent = e.message;
  error.hidden = false;
});
