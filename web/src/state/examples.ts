// The bundled examples: each model has a JSON beside it (examples/NAME.json) with its
// preprocessing, class names and sample files; PyTorch's numbers are in reference_quantization.json.
import type { Engine, TensorData } from '../engine/types';
import type { Preprocessing } from '../data/preprocessing';
import type { Samples } from '../data/samples';
import type { ReferenceNumbers } from './results';

export const EXAMPLES = [
  { file: 'cnn.onnx', title: 'CNN (Conv, BN, depthwise, residual)' },
  { file: 'transformer.onnx', title: 'Transformer (attention, LayerNorm, GELU)' },
  { file: 'lstm.onnx', title: 'LSTM (rows as a sequence)' },
];

export interface ExampleInfo {
  preprocessing: Preprocessing;
  classes: string[];
  calibration: { images: string; labels: string };
  evaluation: { images: string; labels: string };
}

async function fetchOk(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Could not fetch ${url}: HTTP ${response.status} ${response.statusText}`.trim());
  return response;
}

export const fetchBytes = async (url: string) => (await fetchOk(url)).arrayBuffer();

// A file named relative to the model's folder (the example JSON's sample paths, say).
const besideModel = (modelUrl: string, path: string) => new URL(path, new URL(modelUrl, document.baseURI)).href;

// The example's JSON when `modelUrl` is one of the bundled examples, else null.
export async function exampleInfo(modelUrl: string): Promise<ExampleInfo | null> {
  const match = /(^|\/)examples\/([\w-]+)\.onnx$/.exec(modelUrl);
  if (!match) return null;
  const info = await (await fetchOk(modelUrl.replace(/\.onnx$/, '.json'))).json();
  return { ...info, preprocessing: { ...info.preprocessing, color: info.preprocessing.color === 'rgb' ? 'rgb' : 'grayscale' } };
}

export async function referenceNumbers(modelUrl: string): Promise<ReferenceNumbers | null> {
  const stem = /([\w-]+)\.onnx$/.exec(modelUrl)?.[1];
  const all = await (await fetchOk(besideModel(modelUrl, 'reference_quantization.json'))).json();
  return (stem && all[stem]) || null;
}

export async function exampleSamples(modelUrl: string, info: ExampleInfo, engine: Engine): Promise<{ calibration: Samples; evaluation: Samples; bundled: true }> {
  const load = async (set: { images: string; labels: string }): Promise<Samples> => {
    const [data, labels]: TensorData[] = await Promise.all([
      engine.parseNpy(await fetchBytes(besideModel(modelUrl, set.images))), engine.parseNpy(await fetchBytes(besideModel(modelUrl, set.labels))),
    ]);
    return { source: `examples/${set.images}`, data, labels, classNames: info.classes };
  };
  return { calibration: await load(info.calibration), evaluation: await load(info.evaluation), bundled: true };
}
