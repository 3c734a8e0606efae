// The test zoo (tests/zoo/coverage.py: real architectures qplay was not tuned on, several
// inputs, state inputs, fixed batches, opsets 9 to 21) quantized statically per channel from the
// samples each model comes with, one array per input, through the wasm API. Each result runs
// in onnxruntime-node and onnxruntime-web, and qplay's integer engine agrees with
// onnxruntime-node within one quantization step of each float output on at least 99.9% of its
// elements (integer outputs: equal on 99.9%); several of them again in QOperator form. A model
// qplay cannot quantize must be refused with the reason listed in `refused` below.
import fs from 'node:fs';
import path from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { beforeAll, expect, test } from 'vitest';
import { createOrtNodeSession, ort } from '../ort-node.mjs';
import { loadQplay, repoRoot } from './load-qplay.mjs';
import { ensureZoo } from './zoo.mjs';

const { zoo, manifest } = ensureZoo();
const read = (file) => new Uint8Array(fs.readFileSync(path.join(zoo, file)));

let qp;
beforeAll(async () => {
  qp = await loadQplay();
  ortWeb.env.wasm.numThreads = 1;
});

// Models whose quantization is refused, with the reason expected.
const refused = {};

// One quantization step of a float output: the uint8 scale a MinMax calibration of it would choose.
function oneStep(values) {
  let lo = 0, hi = 0;
  for (const v of values) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  return (hi - lo) / 255;
}

// Fraction of the elements of `ours` within one step of `theirs` (equal, for integers).
function agreement(ours, theirs) {
  if (ours.dims.join() !== theirs.dims.map(Number).join()) return 0;
  if (!(theirs.data instanceof Float32Array)) {
    let same = 0;
    theirs.data.forEach((v, i) => (same += Number(String(v) === String(ours.data[i]))));
    return theirs.data.length ? same / theirs.data.length : 1;
  }
  const step = oneStep(theirs.data);
  let within = 0;
  theirs.data.forEach((v, i) => (within += Number(Math.abs(v - ours.data[i]) <= step * 1.0001)));
  return theirs.data.length ? within / theirs.data.length : 1;
}

const toOrt = (Tensor, feeds) => Object.fromEntries(Object.entries(feeds).map(([input, t]) => [input, new Tensor(t.type, t.data, t.dims)]));

// Quantizes zoo model `name` with `config` and checks the result against onnxruntime.
async function quantizeAndCompare(name, config, ortOptions = {}) {
  const entry = manifest[name];
  const feeds = Object.fromEntries(Object.entries(entry.inputs).map(([input, file]) => [input, qp.parseNpy(read(file))]));
  const files = Object.fromEntries((entry.external ?? []).map((file) => [file, read(file)]));
  const model = qp.loadModel(read(entry.model), files);
  let quantized;
  try {
    if (refused[name]) {
      expect(() => model.quantize(config, feeds, null)).toThrow(refused[name]);
      return;
    }
    quantized = model.quantize(config, feeds, null);
    const bytes = quantized.save();
    const ours = quantized.run(feeds);
    const theirs = await (await createOrtNodeSession(bytes, ortOptions)).run(toOrt(ort.Tensor, feeds));
    expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
    for (const [output, reference] of Object.entries(theirs))
      expect(agreement(ours[output], reference), `${output}: elements within one step of onnxruntime-node`).toBeGreaterThanOrEqual(0.999);
    const web = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'], ...ortOptions });
    const fromWeb = await web.run(toOrt(ortWeb.Tensor, feeds));
    expect(Object.keys(fromWeb).sort()).toEqual(Object.keys(theirs).sort());
    await web.release();
  } finally {
    quantized?.delete();
    model.delete();
  }
}

test.each(Object.entries(manifest).map(([name, entry]) => [name, entry.covers]))('%s (%s) quantizes per channel and agrees with onnxruntime',
  (name) => quantizeAndCompare(name, { per_channel: true }), 300000);

// QOperator form on the models whose ops have ONNX Runtime QLinear forms or run on 8 bits:
// Where, Pad, Resize, Concat, Gather, Slice, Sigmoid, AveragePool, Softmax.
const qoperatorModels = ['vit_op17', 'densenet121_op10', 'shufflenet_v2_x0_5_op12', 'efficientnet_b0_op13', 'unet_op13',
  'lraspp_op11', 'ssdlite_op11', 'text_encoder_op14', 'recurrent_op11', 'where_select_op13'];
test.each(qoperatorModels)('%s in QOperator form agrees with onnxruntime',
  (name) => quantizeAndCompare(name, { backend: 'onnxruntime-qoperator', per_channel: true }), 300000);

// The text encoder's token embedding (a Gather of a constant table) quantized too: 8 bits per
// tensor behind a DequantizeLinear (dynamic; weight-only in QDQ, where onnxruntime is told to
// compute the MatMulNBits it fuses in float), or com.microsoft GatherBlockQuantized blocks.
test.each([
  ['dynamic', { mode: 'dynamic' }],
  ['weight-only 8-bit', { mode: 'weight_only' }, { extra: { session: { qdq_matmulnbits_accuracy_level: '0' } } }],
  ['weight-only 4-bit blocks of 16', { mode: 'weight_only', weight_bits: 4, block_size: 16 }],
  ['weight-only 4-bit asymmetric blocks', { mode: 'weight_only', weight_bits: 4, block_size: 32, extra_options: { WeightSymmetric: false } }],
  ['weight-only 8-bit blocks (QOperator)', { mode: 'weight_only', quant_format: 'QOperator', block_size: 16 }],
])('text_encoder_op14 %s, embedding included, agrees with onnxruntime', (_, config, ortOptions) =>
  quantizeAndCompare('text_encoder_op14', config, ortOptions), 300000);

// com.microsoft Attention quantized dynamically becomes QAttention (per tensor and per column)
// where QAttention can express it (the causal model's narrower V keeps it float), and
// EmbedLayerNormalization becomes QEmbedLayerNormalization.
test.each(['attention_raw_mask_op13', 'attention_lengths_causal_op13', 'bert_embedding_attention_op13']
  .flatMap((name) => [[name, false], [name, true]]))(
  '%s quantized dynamically (per channel: %s) agrees with onnxruntime', (name, perChannel) =>
    quantizeAndCompare(name, { mode: 'dynamic', per_channel: perChannel }), 300000);

// Opset 21's types on models below it, which the quantizer first carries to opset 21: int16
// activations in ai.onnx Q/DQ, and int4 weights per channel.
test.each([
  ['resnet18_op13', 'int16 activations', { activation_type: 'int16', per_channel: true }],
  ['mobilenet_v3_small_op11', 'int16 activations', { activation_type: 'int16', per_channel: true }],
  ['resnet18_op13', 'int4 weights', { weight_type: 'int4', per_channel: true }],
  ['vit_op13', 'int4 weights', { weight_type: 'int4', per_channel: true }],
])('%s with %s (opset 21) agrees with onnxruntime', (name, _, config) => quantizeAndCompare(name, config), 300000);
