// The contrib ops ONNX Runtime's optimizers write (com.microsoft Gelu forms, FusedMatMul, skip
// layer norms and FusedConv; SimplifiedLayerNormalization, which ONNX Runtime keeps in ai.onnx),
// one node each, against onnxruntime-node's own kernels.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { createOrtNodeSession, ort } from '../ort-node.mjs';
import { loadQplay } from './load-qplay.mjs';

let qp;
beforeAll(async () => {
  qp = await loadQplay();
});

// name: [op, { input: dims }, outputs, attributes]
const cases = {
  gelu: ['Gelu', { x: [2, 3, 8] }, ['y'], {}],
  fast_gelu: ['FastGelu', { x: [2, 3, 8], bias: [8] }, ['y'], {}],
  bias_gelu: ['BiasGelu', { a: [2, 3, 8], b: [8] }, ['y'], {}],
  quick_gelu: ['QuickGelu', { x: [2, 3, 8] }, ['y'], { alpha: 1.5 }],
  fused_matmul: ['FusedMatMul', { a: [2, 4, 3], b: [5, 4] }, ['y'], { transA: 1, transB: 1, alpha: 0.5 }],
  skip_layer_norm: ['SkipLayerNormalization', { input: [2, 3, 8], skip: [2, 3, 8], gamma: [8], beta: [8], bias: [8] },
    ['output', '', '', 'sum'], { epsilon: 1e-5 }],
  simplified_layer_norm: ['SimplifiedLayerNormalization', { x: [2, 3, 8], scale: [8] }, ['y'], { axis: -1, epsilon: 1e-5 }],
  skip_simplified_layer_norm: ['SkipSimplifiedLayerNormalization', { input: [2, 3, 8], skip: [3, 8], gamma: [8], bias: [8] },
    ['output', '', '', 'sum'], { epsilon: 1e-5 }],
  // ONNX Runtime's ConvActivationFusion; qplay's own optimizer writes the same op.
  ...Object.fromEntries([
    ['relu', 'Relu', []], ['leaky_relu', 'LeakyRelu', [0.2]], ['clip', 'Clip', [-1, 1.5]],
    ['hard_sigmoid', 'HardSigmoid', [0.3, 0.4]], ['sigmoid', 'Sigmoid', []], ['tanh', 'Tanh', []],
  ].map(([name, activation, params]) => [`fused_conv_${name}`, ['FusedConv', { x: [1, 3, 6, 7], w: [4, 3, 3, 3], b: [4] }, ['y'],
    { kernel_shape: [3, 3], pads: [1, 1, 1, 1], activation, ...(params.length ? { activation_params: params } : {}) }]])),
  fused_conv_with_sum: ['FusedConv', { x: [1, 3, 6, 7], w: [4, 3, 3, 3], b: [4], z: [1, 4, 6, 7] }, ['y'],
    { kernel_shape: [3, 3], pads: [1, 1, 1, 1], activation: 'Relu' }],
};

// One model per case, written by ONNX's Python helper (Debian's python3-onnx).
function writeModels() {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'qplay-contrib-'));
  execFileSync('/usr/bin/python3', ['-c', `
import json, sys, onnx
from onnx import helper, TensorProto
folder, cases = sys.argv[1], json.loads(sys.argv[2])
for name, (op, inputs, outputs, attrs) in cases.items():
    # ONNX Runtime keeps SimplifiedLayerNormalization in ai.onnx
    domain = '' if op == 'SimplifiedLayerNormalization' else 'com.microsoft'
    node = helper.make_node(op, list(inputs), outputs, domain=domain, **attrs)
    graph = helper.make_graph([node], name,
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, d) for n, d in inputs.items()],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs if o])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17), helper.make_opsetid('com.microsoft', 1)])
    model.ir_version = 8
    onnx.save(model, f'{folder}/{name}.onnx')
`, folder, JSON.stringify(cases)]);
  return folder;
}

test.each(Object.keys(cases))('%s agrees with onnxruntime-node', async (name) => {
  const folder = writeModels();
  const [, inputs, outputs] = cases[name];
  const bytes = fs.readFileSync(path.join(folder, `${name}.onnx`));
  const feeds = Object.fromEntries(Object.entries(inputs).map(([input, dims], k) => {
    const size = dims.reduce((a, b) => a * b, 1);
    return [input, { data: Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.7 + k) * 2), dims, type: 'float32' }];
  }));
  const model = qp.loadModel(bytes);
  const ours = model.run(feeds);
  model.delete();
  const session = await createOrtNodeSession(bytes);
  const theirs = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)])));
  for (const output of outputs.filter(Boolean)) {
    expect(ours[output].dims).toEqual(theirs[output].dims);
    const theirValues = Array.from(theirs[output].data, Number);
    const worst = ours[output].data.reduce((m, v, i) => Math.max(m, Math.abs(Number(v) - theirValues[i])), 0);
    expect(worst, `${name} output ${output}`).toBeLessThan(1e-4);
  }
});
