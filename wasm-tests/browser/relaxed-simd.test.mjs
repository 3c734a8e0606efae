// The relaxed-SIMD module in Chromium, which runs relaxed SIMD without flags: it reads the 8-bit
// dot product exactly on this machine, so its GEMMs run on it, and every quantized model gives
// the same bits as qplay.js (base SIMD) for every operand type the 8-bit kernels take.
import { expect, test } from 'vitest';
import { usePage } from './serve-and-launch.mjs';

const session = usePage();

const recipes = [
  ['static, per channel', { per_channel: true }],
  ['static, int8 activations', { per_channel: true, activation_type: 'QInt8' }],
  ['static, uint8 asymmetric weights', { weight_type: 'QUInt8', extra_options: { WeightSymmetric: false } }],
  ['dynamic', { mode: 'dynamic' }],
  ['dynamic, attention MatMuls too', { mode: 'dynamic', extra_options: { MatMulConstBOnly: false } }],
];

test('qplay-relaxed.js runs its 8-bit GEMMs on the dot product and matches qplay.js bit for bit', async () => {
  const { page, url } = session;
  await page.goto(url);
  const result = await page.evaluate(async (recipes) => {
    const load = async (name) => {
      const [js, wasm] = await Promise.all([fetch(`${name}.js`).then((r) => r.text()), fetch(`${name}.wasm`).then((r) => r.arrayBuffer())]);
      const create = new Function(`${js};return createQplay;`)();
      return create({ wasmBinary: new Uint8Array(wasm) });
    };
    const [base, relaxed] = [await load('qplay'), await load('qplay-relaxed')];
    const bytes = async (path) => new Uint8Array(await fetch(path).then((r) => r.arrayBuffer()));
    const images = await bytes('examples/data/calibration_images.npy');
    const differences = [];
    let compared = 0;
    for (const name of ['cnn', 'transformer', 'lstm']) {
      const modelBytes = await bytes(`examples/${name}.onnx`);
      for (const [label, config] of recipes) {
        const outputs = (qp) => {
          const all = qp.parseNpy(images);
          const input = { data: all.data.slice(0, 16 * 784), dims: [16, 1, 28, 28] };
          const model = qp.loadModel(modelBytes);
          const quantized = model.quantize({ calibration_limit: 16, ...config }, { input }, null);
          const out = Object.values(quantized.run({ input })).map((t) => Array.from(t.data));
          model.delete();
          quantized.delete();
          return out;
        };
        const [expected, got] = [outputs(base), outputs(relaxed)];
        compared += expected.flat().length;
        if (JSON.stringify(got) !== JSON.stringify(expected)) differences.push(`${name}, ${label}`);
      }
    }
    return { mode: relaxed.relaxedDot(), baseMode: base.relaxedDot(), compared, differences };
  }, recipes);
  expect(result.baseMode).toBe('none');
  // x64 with VNNI reads the second operand unsigned, Arm signed; either is exact.
  expect(['unsigned', 'signed']).toContain(result.mode);
  expect(result.compared).toBeGreaterThan(1000);
  expect(result.differences).toEqual([]);
});
