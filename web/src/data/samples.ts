// A set of samples as the page holds it before handing it to the engine: in memory (decoded
// images, a .csv), or rows of a .npy/.npz file that the engine reads as it runs.
import { isFileRows, type SampleData, type TensorData } from '../engine/types';
import { samplesOf } from '../engine/core-engine';

export interface Samples {
  source: string;            // what they came from, for the page to say
  data: SampleData;          // [N, ...sample dims]
  labels: TensorData | null; // int64 [N]
  classNames?: string[];
  first?: TensorData;        // the first sample, when `data` is read from a file
}

export const sampleCount = (s: Samples) => s.data.dims[0];

// Samples in a file were looked through when the file was read (readTensorFile).
export function checkFinite(s: Samples): void {
  if (isFileRows(s.data)) return;
  const values = s.data.data;
  if (!(values instanceof Float32Array)) return;
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    const perSample = values.length / sampleCount(s);
    throw new Error(`${s.source}: sample ${Math.floor(bad / perSample)} contains ${values[bad]} (NaN or infinity)`);
  }
}

// The first sample: its tensor ([1, ...]) and its smallest, largest and mean value (a loop, not
// Math.min(...values): a 224 x 224 RGB image has more values than a call takes arguments).
export function firstSample(s: Samples): { tensor: TensorData; min: number; max: number; mean: number } {
  const per = s.data.dims.slice(1).reduce((a, b) => a * b, 1);
  const tensor: TensorData = isFileRows(s.data) ? s.first! : { data: s.data.data.slice(0, per) as TensorData['data'], dims: [1, ...s.data.dims.slice(1)] };
  let min = Infinity, max = -Infinity, sum = 0;
  for (let i = 0; i < per; i++) {
    const v = Number(tensor.data[i]);
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  return { tensor, min, max, mean: sum / per };
}

// The first `share` of the samples calibrate, the rest evaluate.
export function split(s: Samples, share: number): { calibration: Samples; evaluation: Samples } {
  const n = sampleCount(s);
  const k = Math.min(n - 1, Math.max(1, Math.round(n * share)));
  const part = (start: number, count: number, name: string): Samples => ({
    source: `${s.source} (${name})`,
    data: samplesOf(s.data, start, count),
    labels: s.labels && (samplesOf(s.labels, start, count) as TensorData),
    classNames: s.classNames,
    first: start === 0 ? s.first : undefined,
  });
  return { calibration: part(0, k, 'calibration'), evaluation: part(k, n - k, 'evaluation') };
}

// The dims each sample must have to feed an input of shape [batch, ...].
export function checkShape(s: Samples, inputShape: (number | string)[] | null, inputName: string): void {
  if (!inputShape) return;
  const want = inputShape.slice(1), got = s.data.dims.slice(1);
  const fits = want.length === got.length && want.every((d, i) => typeof d !== 'number' || d === got[i]);
  if (!fits)
    throw new Error(`${s.source}: samples are [${got.join(', ')}] but input '${inputName}' takes [${want.join(', ')}] per sample`);
}
