// .npy, .npz and .csv files -> samples and labels, parsed by the core (engine.parseSampleFile).
import type { Engine, TensorData } from '../engine/types';

export const isTensorFile = (f: File) => /\.(npy|npz|csv)$/i.test(f.name);

function toFloat32(t: TensorData): TensorData {
  if (t.data instanceof Float32Array) return t;
  return { data: Float32Array.from(t.data as ArrayLike<number>, Number), dims: t.dims, type: 'float32' };
}

function toLabels(t: TensorData, source: string): TensorData {
  if (t.data instanceof Float32Array || t.data instanceof Float64Array) {
    if (!t.data.every(Number.isInteger)) throw new Error(`${source}: labels must be whole class numbers`);
  }
  const n = t.dims.length ? t.dims[0] : 0;
  if (t.data.length !== n) throw new Error(`${source}: labels must be one number per sample, got shape [${t.dims.join(', ')}]`);
  return { data: BigInt64Array.from(t.data as ArrayLike<number>, (v) => BigInt(v)), dims: [n], type: 'int64' };
}

// Samples and their labels from one file; asLabels reads a file of labels alone.
export async function readTensorFile(file: File, engine: Engine, asLabels = false): Promise<{ data: TensorData; labels: TensorData | null }> {
  const { arrays, samples, labels } = await engine.parseSampleFile(file.name, await file.arrayBuffer());
  if (!samples)
    throw new Error(`${file.name}: the archive holds ${Object.keys(arrays).length} arrays (${Object.keys(arrays).join(', ')}); the page feeds one input from one file`);
  if (asLabels) return { data: toLabels(samples, file.name), labels: null };
  return { data: toFloat32(samples), labels: labels && toLabels(labels, `${file.name} (labels)`) };
}
