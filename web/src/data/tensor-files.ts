// .npy, .npz and .csv files -> tensors. NumPy files are parsed by the core (engine.parseNpy).
import { unzipSync } from 'fflate';
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

// Numbers per row; a first row with any non-number is a header. A column named label/labels/y/target holds labels.
function parseCsv(text: string, source: string): { data: TensorData; labels: TensorData | null } {
  const rows = text.split(/\r?\n/).filter((line) => line.trim() !== '').map((line) => line.split(',').map((c) => c.trim()));
  if (!rows.length) throw new Error(`${source}: the file has no rows`);
  const header = rows[0].some((c) => c === '' || Number.isNaN(Number(c))) ? rows.shift()! : null;
  const labelColumn = header ? header.findIndex((h) => /^(labels?|y|target|class)$/i.test(h)) : -1;
  const width = rows[0]?.length ?? 0;
  const values: number[] = [], labels: number[] = [];
  rows.forEach((row, r) => {
    if (row.length !== width) throw new Error(`${source}: row ${r + 1 + (header ? 1 : 0)} has ${row.length} columns, expected ${width}`);
    row.forEach((cell, c) => {
      const v = Number(cell);
      if (cell === '' || Number.isNaN(v)) throw new Error(`${source}: row ${r + 1 + (header ? 1 : 0)}, column ${c + 1} is not a number: '${cell}'`);
      if (c === labelColumn) labels.push(v);
      else values.push(v);
    });
  });
  const features = width - (labelColumn >= 0 ? 1 : 0);
  return {
    data: { data: Float32Array.from(values), dims: [rows.length, features], type: 'float32' },
    labels: labelColumn >= 0 ? toLabels({ data: Float64Array.from(labels), dims: [labels.length] }, source) : null,
  };
}

const LABEL_NAME = /(^|_)(labels?|y|targets?)$/i;

// Samples and optional labels from one file. An .npz holds both (labels under a name like 'labels' or 'y').
export async function readTensorFile(file: File, engine: Engine, asLabels = false): Promise<{ data: TensorData; labels: TensorData | null }> {
  const name = file.name;
  if (/\.csv$/i.test(name)) {
    const parsed = parseCsv(await file.text(), name);
    return asLabels ? { data: toLabels(parsed.data, name), labels: null } : parsed;
  }
  if (/\.npy$/i.test(name)) {
    const tensor = await engine.parseNpy(await file.arrayBuffer());
    return { data: asLabels ? toLabels(tensor, name) : toFloat32(tensor), labels: null };
  }
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(new Uint8Array(await file.arrayBuffer()));
  } catch (e) {
    throw new Error(`${name}: not a valid .npz (zip) file: ${(e as Error).message}`);
  }
  const arrays = Object.keys(entries).filter((k) => k.endsWith('.npy'));
  if (!arrays.length) throw new Error(`${name}: the archive holds no .npy arrays`);
  const labelKey = arrays.find((k) => LABEL_NAME.test(k.replace(/\.npy$/, '')));
  const dataKey = arrays.find((k) => k !== labelKey);
  if (!dataKey) throw new Error(`${name}: the archive holds only labels (${labelKey})`);
  const parse = async (key: string) => engine.parseNpy(entries[key].slice().buffer as ArrayBuffer);
  return {
    data: toFloat32(await parse(dataKey)),
    labels: labelKey ? toLabels(await parse(labelKey), `${name}/${labelKey}`) : null,
  };
}
