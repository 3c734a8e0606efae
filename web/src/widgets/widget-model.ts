// The model a widget reads, loaded once per page however many widgets name it: a worker
// engine holding the model and, for the bundled examples, their calibration samples.
import { qplayFile, qplayModuleFile } from '../engine/base-url';
import type { ModelInfo, TensorData } from '../engine/types';
import { WorkerEngine } from '../engine/worker-engine';
import { exampleInfo, exampleSamples, fetchBytes } from '../state/examples';

export interface WidgetModel {
  url: string;
  engine: WorkerEngine;
  info: ModelInfo;
  hasSamples: boolean;
}

export const DEFAULT_MODEL = 'examples/cnn.onnx';
const loaded = new Map<string, Promise<WidgetModel>>();

// `url` relative to the page; empty: the bundled CNN beside qplay's files.
export function widgetModel(url: string | null | undefined): Promise<WidgetModel> {
  const absolute = url ? new URL(url, document.baseURI).href : qplayFile(DEFAULT_MODEL);
  let model = loaded.get(absolute);
  if (!model) {
    model = load(absolute);
    model.catch(() => loaded.delete(absolute));  // a later widget may try again
    loaded.set(absolute, model);
  }
  return model;
}

async function load(url: string): Promise<WidgetModel> {
  const engine = new WorkerEngine(qplayModuleFile());
  const info = await engine.loadModel(await fetchBytes(url));
  const example = await exampleInfo(url).catch(() => null);
  if (example) {
    const { calibration, evaluation } = await exampleSamples(url, example, engine);
    await engine.setSamples('calibration', calibration.data, calibration.labels);
    await engine.setSamples('evaluation', evaluation.data, evaluation.labels);
  }
  return { url, engine, info, hasSamples: !!example };
}

// An engine with no model, for widgets that only do arithmetic.
let math: Promise<WorkerEngine> | null = null;
export function mathEngine(): Promise<WorkerEngine> {
  math ??= Promise.resolve(new WorkerEngine(qplayModuleFile()));
  return math;
}

// A weight of the model: the named one, else the first convolution (or matrix) weight.
export async function widgetWeight(url: string, name: string): Promise<{ source: WidgetModel; name: string; data: TensorData }> {
  const source = await widgetModel(url);
  const chosen = name || (await defaultWeight(source));
  return { source, name: chosen, data: await source.engine.initializer(chosen) };
}

// The first float weight of a convolution (rank 4), or of a matrix (rank 2).
async function defaultWeight(model: WidgetModel): Promise<string> {
  const all = (await model.engine.initializers()).filter((t) => t.type === 'float32');
  const pick = all.find((t) => t.dims.length === 4) ?? all.find((t) => t.dims.length === 2);
  if (!pick) throw new Error(`${model.url} has no float weight to show`);
  return pick.name;
}
