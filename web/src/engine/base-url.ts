// Where qplay's own files are (qplay.js, qplay.wasm, examples/): the folder above the built
// chunks in assets/, whichever page loaded them — the playground, a guide page, or another
// site's page embedding a widget with one script tag.
import { supportsRelaxedSimd } from './relaxed-simd';

const base = new URL(/* @vite-ignore */ '../', import.meta.url);

export const qplayFile = (path: string) => new URL(path, base).href;

// The module a worker loads: the threaded build where the page is cross-origin isolated (only
// there can it share memory between threads), the single-threaded one anywhere else, such as
// a page embedding a widget without those headers; each in its relaxed-SIMD build where the
// engine runs relaxed SIMD.
export const qplayModuleFile = () =>
  qplayFile(`${globalThis.crossOriginIsolated ? 'qplay-threads' : 'qplay'}${supportsRelaxedSimd() ? '-relaxed' : ''}.js`);
