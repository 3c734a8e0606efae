// Loads the built wasm module in Node (the bytes are passed in: Node cannot fetch a file path).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

export const repoRoot = path.resolve(import.meta.dirname, '../..');

// { threads: true } loads the threaded build (build/wasm-threads/qplay-threads.js), whose
// pthread workers Node runs as worker threads; { relaxed: true } the relaxed-SIMD one, which
// Node 20 compiles only with --experimental-wasm-relaxed-simd.
/** @returns {Promise<import('../../web/src/engine/qplay-module').QplayModule>} */
export async function loadQplay({ threads = false, relaxed = false } = {}) {
  const name = `${threads ? 'qplay-threads' : 'qplay'}${relaxed ? '-relaxed' : ''}`;
  const dir = `build/wasm${threads ? '-threads' : ''}${relaxed ? '-relaxed' : ''}`;
  const require = createRequire(import.meta.url);
  const createQplay = require(path.join(repoRoot, dir, `${name}.js`));
  return createQplay({ wasmBinary: fs.readFileSync(path.join(repoRoot, dir, `${name}.wasm`)) });
}

export const conformanceRoot = '/usr/share/libonnx-testdata/data';
