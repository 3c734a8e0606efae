// Calibration's peak memory at 100, 1,000 and 10,000 samples of the bundled CNN (the 200
// calibration images repeated), entropy calibration: the wasm heap of a fresh module that reads
// the .npy through a sample file reader (as the page's worker reads a File) beside one given the
// whole array in memory; and the CLI's peak resident memory (`qplay quantize --calib FILE`,
// through /usr/bin/time when the machine has it). Prints one JSON line per count and the growth
// from 100 to 10,000 samples. Not a test.
//   node bench/calibration-memory.mjs
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadQplay, repoRoot } from '../wasm-tests/wasm/load-qplay.mjs';

const counts = [100, 1000, 10000];
const folder = path.join(repoRoot, 'build/bench');
const modelPath = path.join(repoRoot, 'examples/models/cnn.onnx');
const config = { calibrate_method: 'Entropy', calibration_limit: 0, per_channel: true };
fs.mkdirSync(folder, { recursive: true });

// An .npy of `count` samples: the calibration images' header with its count changed, then their data repeated.
function writeSamples(count) {
  const file = path.join(folder, `cnn_calibration_${count}.npy`);
  const source = fs.readFileSync(path.join(repoRoot, 'examples/data/calibration_images.npy'));
  const headerLength = 10 + source.readUInt16LE(8);
  const header = source.subarray(0, headerLength).toString('latin1');
  const available = Number(/\((\d+),/.exec(header)[1]);
  const newHeader = header.replace(/\((\d+),/, `(${count},`).replace(/ *\n$/, '');
  const padded = newHeader + ' '.repeat((64 - ((newHeader.length + 1) % 64)) % 64) + '\n';
  const out = Buffer.concat([source.subarray(0, 8), Buffer.from([padded.length - 10 & 0xff, (padded.length - 10) >> 8]), Buffer.from(padded.slice(10), 'latin1')]);
  const perSample = (source.length - headerLength) / available;
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, out);
  for (let i = 0; i < count; i++) fs.writeSync(fd, source, headerLength + (i % available) * perSample, perSample);
  fs.closeSync(fd);
  return file;
}

function reader(file) {
  const fd = fs.openSync(file, 'r');
  return {
    name: path.basename(file), size: fs.fstatSync(fd).size,
    read(offset, length) {
      const bytes = Buffer.alloc(length);
      fs.readSync(fd, bytes, 0, length, offset);
      return bytes;
    },
  };
}

// The wasm heap's size after quantizing from `samples(qp)` in a fresh module (the heap only grows).
async function wasmPeak(samples) {
  const qp = await loadQplay();
  const model = qp.loadModel(fs.readFileSync(modelPath));
  model.quantize(config, samples(qp), null).delete();
  return qp.HEAP8.length;
}

function nativePeak(file) {
  if (!fs.existsSync('/usr/bin/time')) return null;
  const run = spawnSync('/usr/bin/time', ['-f', '%M', path.join(repoRoot, 'build/native/qplay'), 'quantize', modelPath, '-o',
    path.join(folder, 'cnn_calibration.qdq.onnx'), '--calib', file, '--method', 'entropy', '--per-channel'], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return Number(run.stderr.trim().split('\n').pop()) * 1024;
}

const mb = (bytes) => (bytes === null ? null : Math.round(bytes / 1e5) / 10);
const rows = [];
for (const count of counts) {
  const file = writeSamples(count);
  const row = {
    samples: count,
    file_mb: mb(fs.statSync(file).size),
    wasm_heap_streamed_mb: mb(await wasmPeak(() => reader(file))),
    wasm_heap_in_memory_mb: mb(await wasmPeak((qp) => qp.parseNpy(fs.readFileSync(file)))),
    cli_peak_rss_mb: mb(nativePeak(file)),
  };
  rows.push(row);
  console.log(JSON.stringify(row));
}
const growth = (key) => (rows[0][key] === null ? null : Math.round((rows.at(-1)[key] / rows[0][key] - 1) * 1000) / 10);
console.log(JSON.stringify({ growth_100_to_10000_percent: { wasm_heap_streamed: growth('wasm_heap_streamed_mb'), wasm_heap_in_memory: growth('wasm_heap_in_memory_mb'), cli_peak_rss: growth('cli_peak_rss_mb') } }));
