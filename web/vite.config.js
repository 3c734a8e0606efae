// Builds the static page into build/web. The wasm module (qplay.js + qplay.wasm) and the
// worker that hosts it are copied beside it by the Makefile / public folder.
const path = require('node:path');

module.exports = {
  root: __dirname,
  base: './',
  // A static site, not a single-page app: a missing file is a 404, not index.html.
  appType: 'mpa',
  publicDir: path.join(__dirname, 'public'),
  build: { outDir: path.join(__dirname, '../build/web'), emptyOutDir: true },
  preview: { host: '127.0.0.1' },
};
