// onnxruntime-node sessions as every test opens them. On x86-64 CPUs without VNNI (AVX2 only,
// as on this machine kind's AMD EPYC) its u8s8 integer GEMM uses vpmaddubsw, whose int16 pair
// sums saturate, so a quantized model answers differently there than on VNNI machines
// (microsoft/onnxruntime#6004, #16105). session.x64quantprecision widens to int16 first and gives
// the exact integer result that every CPU, onnxruntime-web and qplay agree on.
import * as ort from 'onnxruntime-node';

export { ort };

/** @param {string | Uint8Array} model @param {import('onnxruntime-node').InferenceSession.SessionOptions} [options] */
export function createOrtNodeSession(model, options = {}) {
  const extra = /** @type {Record<string, any>} */ (options.extra ?? {});
  return ort.InferenceSession.create(/** @type {any} */ (model), {
    ...options,
    extra: { ...extra, session: { x64quantprecision: '1', ...extra.session } },
  });
}
