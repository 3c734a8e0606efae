// Relaxed SIMD against base SIMD, in Chromium (which runs relaxed SIMD without flags; Node 20
// only behind one, and there without an exact 8-bit dot product): qplay.js, qplay-relaxed.js
// and onnxruntime-web's wasm backend on one thread, in one page, on the same model bytes and
// inputs, runs interleaved, warm-up excluded. With --threads N, the threaded builds at N threads
// beside onnxruntime-web at numThreads N (the page is cross-origin isolated). Prints one JSON
// line per case: each engine's median ms, relaxed over base, and relaxed against
// onnxruntime-web (> 1: qplay is faster). `make bench` exports the models first.
//   node bench/relaxed-simd.mjs [--case NAME] [--threads N] [--runs N]
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { loadQplay, repoRoot } from '../wasm-tests/wasm/load-qplay.mjs';
import { input, modelsOf } from './cases.mjs';

const option = (flag) => (process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : null);
const threads = Number(option('--threads')) || 1;
const runs = Number(option('--runs')) || 20;
const [base, relaxed] = threads > 1 ? ['qplay-threads', 'qplay-threads-relaxed'] : ['qplay', 'qplay-relaxed'];

// Files the page may fetch from the bench's server: the two modules, onnxruntime-web, models.
const files = new Map();
for (const [name, dir] of [[base, `build/wasm${threads > 1 ? '-threads' : ''}`], [relaxed, `build/wasm${threads > 1 ? '-threads' : ''}-relaxed`]])
  for (const ext of ['.js', '.wasm', '.worker.js']) {
    const file = path.join(repoRoot, dir, name + ext);
    if (fs.existsSync(file)) files.set(`/${name}${ext}`, () => fs.readFileSync(file));
  }
const ortDir = path.join(repoRoot, 'node_modules/onnxruntime-web/dist');
for (const file of fs.readdirSync(ortDir)) files.set(`/ort/${file}`, () => fs.readFileSync(path.join(ortDir, file)));
files.set('/', () => '<!doctype html><title>bench</title>');
const contentType = (p) => (p.endsWith('.wasm') ? 'application/wasm' : p.endsWith('.js') || p.endsWith('.mjs') ? 'text/javascript'
  : p === '/' ? 'text/html' : 'application/octet-stream');
// Cross-origin isolated (on localhost, a secure context), so that the threaded builds and
// onnxruntime-web's threads can run.
const server = http.createServer((request, response) => {
  const { pathname } = new URL(request.url, 'http://localhost');
  const body = files.get(pathname)?.();
  if (body === undefined) return response.writeHead(404).end();
  response.writeHead(200, { 'content-type': contentType(pathname), 'cross-origin-opener-policy': 'same-origin',
    'cross-origin-embedder-policy': 'require-corp' }).end(body);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://localhost:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
const page = await browser.newPage();
page.on('pageerror', (error) => console.error('page error:', error.message));
page.on('crash', () => console.error('page crashed'));
await page.goto(`${origin}/`);
const modes = await page.evaluate(async ([base, relaxed, threads]) => {
  const load = async (name) => {
    const js = await fetch(`/${name}.js`).then((r) => r.text());
    const create = new Function(`${js};return createQplay;`)();
    const wasmBinary = new Uint8Array(await fetch(`/${name}.wasm`).then((r) => r.arrayBuffer()));
    const qp = await create({ wasmBinary, mainScriptUrlOrBlob: `/${name}.js`, locateFile: (file) => `/${file}` });
    qp.setThreadCount(threads);
    return qp;
  };
  window.engines = { base: await load(base), relaxed: await load(relaxed) };
  window.ort = await import('/ort/ort.wasm.min.mjs');
  window.ort.env.wasm.wasmPaths = '/ort/';
  window.ort.env.wasm.numThreads = threads;
  return { base: window.engines.base.relaxedDot(), relaxed: window.engines.relaxed.relaxedDot(), isolated: crossOriginIsolated };
}, [base, relaxed, threads]);
console.log(JSON.stringify({ chromium: browser.version(), modules: [base, relaxed], relaxed_dot: modes.relaxed, threads,
  cross_origin_isolated: modes.isolated }));

// Median ms of each engine on the model `bytes` with cases.mjs's input of `dims`, each engine warmed up
// for 5 runs and a second (wasm tiers up in the background). On one thread the runs are
// interleaved (one of each in turn), so drift in the machine's speed hits all three alike; on
// several each engine is timed in a block of its own after a pause, since a pool spinning after
// its run would take the next engine's cores (as in bench/speed.mjs).
async function timeThree(bytes, dims) {
  const { data } = input(dims[0], dims.slice(1));
  files.set('/model.onnx', () => bytes);
  files.set('/input.bin', () => Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  return page.evaluate(async ([dims, runs, interleaved]) => {
    const modelBytes = new Uint8Array(await fetch('/model.onnx').then((r) => r.arrayBuffer()));
    const input = { data: new Float32Array(await fetch('/input.bin').then((r) => r.arrayBuffer())), dims };
    const models = [window.engines.base.loadModel(modelBytes), window.engines.relaxed.loadModel(modelBytes)];
    const session = await window.ort.InferenceSession.create(modelBytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const ortFeeds = { input: new window.ort.Tensor('float32', input.data, input.dims) };
    const engines = [() => models[0].run({ input }), () => models[1].run({ input }), () => session.run(ortFeeds)];
    const times = [[], [], []];
    const repeat = async (which, count, seconds, record) => {
      const end = performance.now() + seconds * 1000;
      for (let i = 0; i < count || performance.now() < end; i++)
        for (const k of which) {
          const start = performance.now();
          await engines[k]();
          if (record) times[k].push(performance.now() - start);
        }
    };
    const blocks = interleaved ? [[0, 1, 2]] : [[0], [1], [2]];
    for (const which of blocks) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await repeat(which, 5, 1, false);
      await repeat(which, runs, 1, true);
    }
    models.forEach((m) => m.delete());
    await session.release();
    return times.map((t) => [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)]);
  }, [dims, runs, threads === 1]);
}

const qp = await loadQplay();
for (const { name, shape, batches, float, int8, dynamicInt8 } of modelsOf(qp, option('--case'))) {
  for (const batch of batches) {
    const dims = [batch, ...shape];
    for (const [kind, bytes] of [['float', float], ['int8 (QDQ)', int8], ['int8 (dynamic)', dynamicInt8]]) {
      if (!bytes) continue;
      const [baseMs, relaxedMs, ortMs] = await timeThree(bytes, dims);
      console.log(JSON.stringify({ case: `${name} ${kind} batch ${batch}${threads > 1 ? `, ${threads} threads` : ''}`,
        base_ms: +baseMs.toFixed(3), relaxed_ms: +relaxedMs.toFixed(3), ort_web_ms: +ortMs.toFixed(3),
        relaxed_over_base: +(baseMs / relaxedMs).toFixed(2), relaxed_vs_ort_web: +(ortMs / relaxedMs).toFixed(2) }));
    }
  }
}
// The 8-bit GEMM alone, dot16 beside the relaxed one, both in the relaxed module.
const gemm = await page.evaluate(() => {
  const { relaxed } = window.engines;
  relaxed.measureInt8Gemm(64, 256, 288);  // warm-up
  return [[64, 256, 288], [128, 196, 576], [128, 768, 768]].map(([m, n, k]) => ({ shape: `${m}x${n}x${k}`, ...relaxed.measureInt8Gemm(m, n, k) }));
});
for (const { shape, gemm_gops, relaxed_gops } of gemm)
  console.log(JSON.stringify({ case: `int8 GEMM ${shape}`, dot16_gops: +gemm_gops.toFixed(1), relaxed_gops: +relaxed_gops.toFixed(1),
    relaxed_over_dot16: +(relaxed_gops / gemm_gops).toFixed(2) }));
await browser.close();
server.close();
process.exit(0);
