// Loads the built wasm module in Node (the bytes are passed in: Node cannot fetch a file path).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
const wasmDir = path.join(repoRoot, 'build/wasm');

/** @returns {Promise<import('../../web/src/engine/qplay-module').QplayModule>} */
export async function loadQplay() {
  const require = createRequire(import.meta.url);
  const createQplay = require(path.join(wasmDir, 'qplay.js'));
  return createQplay({ wasmBinary: fs.readFileSync(path.join(wasmDir, 'qplay.wasm')) });
}

export const conformanceRoot = '/usr/share/libonnx-testdata/data';
