// Builds the static page into build/web. The wasm module (qplay.js + qplay.wasm) and the
// bundled examples are copied beside it by the Makefile.
const path = require('node:path');

module.exports = {
  root: __dirname,
  base: './',
  // A static site, not a single-page app: a missing file is a 404, not index.html.
  appType: 'mpa',
  publicDir: false,
  // A classic worker: it loads qplay.js (the Emscripten loader) with importScripts.
  worker: { format: 'iife' },
  build: { outDir: path.join(__dirname, '../build/web'), emptyOutDir: true, chunkSizeWarningLimit: 1024 },
  preview: { host: '127.0.0.1' },
};
