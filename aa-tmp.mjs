import ort from 'onnxruntime-node';
import fs from 'node:fs';
const x = new Float32Array(64); for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) x[i*8+j] = i*10+j;
for (const n of ['lin', 'lin2']) {
  const s = await ort.InferenceSession.create(`/tmp/aa/${n}.onnx`);
  const r = await s.run({ x: new ort.Tensor('float32', x, [1,1,8,8]) });
  console.log(n, r.y.dims, Array.from(r.y.data).slice(0, 8).map(v => v.toFixed(3)).join(' '));
}
