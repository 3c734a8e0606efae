// .npy, .npz and .csv files -> samples and labels. The engine reads a .npy or .npz a few samples
// at a time when it runs (engine.inspectSampleFile looks it through first), so the page never
// holds its data; a .csv (text, small) and label files are parsed whole (engine.parseSampleFile).
import type { Engine, SampleData, TensorData } from '../engine/types';

export const isTensorFile = (f: File) => /\.(npy|npz|csv)$/i.test(f.name);
const isStreamed = (f: File) => /\.(npy|npz)$/i.test(f.name);

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

const severalArrays = (file: File, names: string[]) =>
  new Error(`${file.name}: the archive holds ${names.length} arrays (${names.join(', ')}); the page feeds one input from one file`);

// The labels a file holds alone.
export async function readLabelFile(file: File, engine: Engine): Promise<TensorData> {
  const { arrays, samples } = await engine.parseSampleFile(file.name, await file.arrayBuffer());
  if (!samples) throw severalArrays(file, Object.keys(arrays));
  return toLabels(samples, file.name);
}

// Samples and their labels from one file. Float arrays of a .npy or .npz stay in the file (a NaN
// or an infinity in them is refused here, naming the sample); other files and types are read
// whole and converted to float32.
export async function readTensorFile(file: File, engine: Engine): Promise<{ data: SampleData; labels: TensorData | null; first?: TensorData }> {
  if (isStreamed(file)) {
    const { arrays, labels } = await engine.inspectSampleFile(file);
    const names = Object.keys(arrays);
    if (names.length !== 1) throw severalArrays(file, names);
    const { dims, type, first, nonFinite } = arrays[names[0]];
    if (nonFinite) throw new Error(`${file.name}: sample ${nonFinite.sample} contains ${nonFinite.value} (NaN or infinity)`);
    if ((type === 'float32' || type === 'float64') && first)
      return { data: { file, start: 0, dims, type }, labels: labels && toLabels(labels, `${file.name} (labels)`), first: toFloat32(first) };
  }
  const { arrays, samples, labels } = await engine.parseSampleFile(file.name, await file.arrayBuffer());
  if (!samples) throw severalArrays(file, Object.keys(arrays));
  return { data: toFloat32(samples), labels: labels && toLabels(labels, `${file.name} (labels)`) };
}
