// How an image becomes the tensor a model reads, and back (for showing a sample).
import type { TensorData } from '../engine/types';

export interface Preprocessing {
  width: number;
  height: number;
  color: 'grayscale' | 'rgb';
  scale: number;      // applied to 0..255 pixel values before mean/std
  mean: number[];     // per channel (one value is used for every channel)
  std: number[];
  layout: 'NCHW' | 'NHWC';
}

export const DEFAULT_PREPROCESSING: Preprocessing = {
  width: 224, height: 224, color: 'rgb', scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], layout: 'NCHW',
};

export const channelsOf = (p: Preprocessing) => (p.color === 'rgb' ? 3 : 1);

export function sampleDims(p: Preprocessing): number[] {
  const c = channelsOf(p);
  return p.layout === 'NCHW' ? [c, p.height, p.width] : [p.height, p.width, c];
}

const at = (values: number[], c: number) => values[Math.min(c, values.length - 1)] ?? 0;

// RGBA pixels (already width x height) -> normalized values of one sample, written at `out`.
export function pixelsToTensor(rgba: Uint8ClampedArray, p: Preprocessing, out: Float32Array): void {
  const c = channelsOf(p), pixels = p.width * p.height;
  for (let i = 0; i < pixels; i++) {
    for (let k = 0; k < c; k++) {
      const raw = c === 1 ? 0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2] : rgba[4 * i + k];
      const value = (raw * p.scale - at(p.mean, k)) / at(p.std, k);
      out[p.layout === 'NCHW' ? k * pixels + i : i * c + k] = value;
    }
  }
}

// One sample [1, ...] -> RGBA pixels, when its shape is an image under `p`'s layout.
export function tensorToPixels(sample: TensorData, p: Preprocessing): ImageData | null {
  const dims = sample.dims.slice(1);
  if (dims.length !== 3) return null;
  const nchw = p.layout === 'NCHW';
  const [c, h, w] = nchw ? dims : [dims[2], dims[0], dims[1]];
  if (c !== 1 && c !== 3) return null;
  const image = new ImageData(w, h);
  const pixels = w * h;
  for (let i = 0; i < pixels; i++) {
    for (let k = 0; k < 3; k++) {
      const ch = c === 1 ? 0 : k;
      const v = Number(sample.data[nchw ? ch * pixels + i : i * c + ch]);
      image.data[4 * i + k] = ((v * at(p.std, ch) + at(p.mean, ch)) / p.scale);
    }
    image.data[4 * i + 3] = 255;
  }
  return image;
}
