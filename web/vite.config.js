// Builds the static page into build/web: the playground (index.html) and the widgets bundle
// at a stable address, assets/qplay-widgets.js, for pages that embed widgets with one script
// tag (the guide in build/web/docs is such a page: scripts/build-docs.mjs). The wasm module
// (qplay.js + qplay.wasm) and the bundled examples are copied beside it by the Makefile.
const path = require('node:path');

module.exports = {
  root: __dirname,
  base: './',
  // A static site, not a single-page app: a missing file is a 404, not index.html.
  appType: 'mpa',
  publicDir: false,
  // A classic worker: it loads qplay.js (the Emscripten loader) with importScripts.
  worker: { format: 'iife' },
  build: {
    outDir: path.join(__dirname, '../build/web'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1024,
    rollupOptions: {
      input: { index: path.join(__dirname, 'index.html'), 'qplay-widgets': path.join(__dirname, 'src/widgets/index.ts') },
      output: { entryFileNames: (chunk) => (chunk.name === 'qplay-widgets' ? 'assets/qplay-widgets.js' : 'assets/[name]-[hash].js') },
    },
  },
  // Cross-origin isolation (`make serve`), so that the page can use the threaded module: every
  // file is qplay's own, so nothing the page loads is refused under these headers.
  preview: {
    host: '127.0.0.1',
    headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
  },
};
