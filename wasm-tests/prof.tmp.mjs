import fs from 'node:fs';
import { loadQplay } from './wasm/load-qplay.mjs';
const qp = await loadQplay();
const cal = qp.parseNpy(fs.readFileSync('examples/data/calibration_images.npy'));
const name = process.argv[2] || 'cnn';
const batch = Number(process.argv[3] || 64);
const m = qp.loadModel(fs.readFileSync(`examples/models/${name}.onnx`));
const q = m.quantize({ per_channel: true }, { input: cal }, null);
const data = { data: cal.data.slice(0, batch * 784), dims: [batch, 1, 28, 28] };
for (const [label, model] of [['float', m], ['int8', q]]) {
  const p = model.profile(data);
  console.log(label, 'total', p.total_ms.toFixed(2));
  for (const [op, v] of Object.entries(p.op_types).sort((a, b) => b[1].ms - a[1].ms).slice(0, 8)) console.log('  ', op, v.ms.toFixed(2), v.count ?? '');
}
const p = q.profile(data);
for (const n of p.nodes.sort((a, b) => b.ms - a.ms).slice(0, 8)) console.log(n.ms.toFixed(2), n.op_type, n.name, n.macs);
const pf = m.profile(data);
for (const n of pf.nodes.sort((a, b) => b.ms - a.ms).slice(0, 6)) console.log('float', n.ms.toFixed(2), n.op_type, n.name, n.macs);
