// The Engine as the page uses it: every call runs in a worker, buffers are transferred to it.
// Cancel (and a wasm abort, e.g. out of memory) replaces the worker, then replays what it
// held — the model, the sample sets and the last quantized model — from Blobs kept here, so
// nothing the person loaded is lost.
import { transferablesOf, type Method, type Reply, type Request } from './protocol';
import {
  isFileRows, type ActivationRanges, type AnalysisReport, type BackendPreset, type ConvertOptions, type Engine, type FallbackOutcome, type FallbackTarget, type GraphNode, type InitializerInfo, type QatOptions, type QatResult, type QuantFormatOptions, type QuantParams, type QuantizeTensorOptions, type QuantizedTensor, type EvaluationReport, type LayerErrorReport, type LayerPlan, type Latency, type ModelInfo, type ProgressFn, type QuantConfig, type QuantizedModel,
  type SampleData, type SampleFile, type SampleFileContents, type SampleRole, type TensorData,
} from './types';

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  progress?: ProgressFn;
}

interface SavedTensor {
  blob: Blob;
  dims: number[];
  type?: string;
  ctor: string;
}

const save = (t: TensorData): SavedTensor => ({ blob: new Blob([t.data as BlobPart]), dims: t.dims, type: t.type, ctor: t.data.constructor.name });

async function restore(saved: SavedTensor): Promise<TensorData> {
  const Ctor = (globalThis as unknown as Record<string, new (b: ArrayBuffer) => TensorData['data']>)[saved.ctor];
  return { data: new Ctor(await saved.blob.arrayBuffer()), dims: saved.dims, type: saved.type };
}

// Rows of a file are kept as they are: the File is the saved copy.
const saveData = (data: SampleData) => (isFileRows(data) ? data : save(data));
const restoreData = (saved: ReturnType<typeof saveData>) => ('file' in saved ? Promise.resolve(saved) : restore(saved));

export class WorkerEngine implements Engine {
  private worker!: Worker;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private ready: Promise<unknown> = Promise.resolve();
  private savedModel: Blob | null = null;
  private savedExternalFiles: Record<string, Blob> = {};
  private savedSamples: Partial<Record<SampleRole, { data: ReturnType<typeof saveData>; labels: SavedTensor | null }>> = {};
  private savedQuantized: Blob | null = null;

  constructor(private readonly qplayUrl: string) {
    this.start();
  }

  backends(): Promise<BackendPreset[]> {
    return this.call('backends', []);
  }

  async loadModel(bytes: ArrayBuffer, externalFiles: Record<string, ArrayBuffer> = {}): Promise<ModelInfo> {
    const saved = new Blob([bytes]);
    const savedFiles = Object.fromEntries(Object.entries(externalFiles).map(([name, file]) => [name, new Blob([file])]));
    const info = await this.call<ModelInfo>('loadModel', [bytes, externalFiles]);
    this.savedModel = saved;
    this.savedExternalFiles = savedFiles;
    this.savedQuantized = null;
    return info;
  }

  convert(options: ConvertOptions): Promise<ArrayBuffer> {
    return this.call('convert', [options]);
  }

  layers(config: QuantConfig): Promise<LayerPlan[]> {
    return this.call('layers', [config]);
  }

  parseNpy(bytes: ArrayBuffer): Promise<TensorData> {
    return this.call('parseNpy', [bytes]);
  }

  parseSampleFile(name: string, bytes: ArrayBuffer): Promise<SampleFile> {
    return this.call('parseSampleFile', [name, bytes]);
  }

  inspectSampleFile(file: File): Promise<SampleFileContents> {
    return this.call('inspectSampleFile', [file]);
  }

  async setSamples(role: SampleRole, data: SampleData, labels: TensorData | null): Promise<void> {
    const saved = { data: saveData(data), labels: labels && save(labels) };
    await this.call('setSamples', [role, data, labels]);
    this.savedSamples[role] = saved;
  }

  sample(role: SampleRole, index: number): Promise<TensorData> {
    return this.call('sample', [role, index]);
  }

  async quantize(config: QuantConfig, progress?: ProgressFn): Promise<QuantizedModel> {
    const result = await this.call<QuantizedModel>('quantize', [config], progress);
    this.savedQuantized = new Blob([result.bytes]);
    return result;
  }

  async setQuantized(bytes: ArrayBuffer): Promise<ModelInfo> {
    return this.call('setQuantized', [bytes]);
  }

  evaluate(progress?: ProgressFn): Promise<EvaluationReport> {
    return this.call('evaluate', [], progress);
  }

  analyze(progress?: ProgressFn): Promise<LayerErrorReport> {
    return this.call('analyze', [], progress);
  }

  latency(): Promise<Latency> {
    return this.call('latency', []);
  }

  quantParams(rmin: number, rmax: number, format: QuantFormatOptions): Promise<QuantParams> {
    return this.call('quantParams', [rmin, rmax, format]);
  }

  // The tensor is copied, not transferred: widgets quantize the same tensor again and again.
  quantizeTensor(tensor: TensorData, options: QuantizeTensorOptions): Promise<QuantizedTensor> {
    return this.call('quantizeTensor', [tensor, options], undefined, false);
  }

  initializers(): Promise<InitializerInfo[]> {
    return this.call('initializers', []);
  }

  initializer(name: string): Promise<TensorData> {
    return this.call('initializer', [name]);
  }

  nodes(which: 'model' | 'quantized'): Promise<GraphNode[]> {
    return this.call('nodes', [which]);
  }

  preparedNodes(config: QuantConfig): Promise<GraphNode[]> {
    return this.call('preparedNodes', [config]);
  }

  preparedInitializer(config: QuantConfig, name: string): Promise<TensorData> {
    return this.call('preparedInitializer', [config, name]);
  }

  rangeChoices(tensors: string[], options: { percentile?: number; symmetric?: boolean; bins?: number }): Promise<ActivationRanges[]> {
    return this.call('rangeChoices', [tensors, options]);
  }

  async qat(config: QuantConfig, options: QatOptions, progress?: ProgressFn): Promise<QatResult> {
    const result = await this.call<QatResult>('qat', [config, options], progress);
    this.savedQuantized = new Blob([result.bytes]);
    return result;
  }

  fallback(config: QuantConfig, target: FallbackTarget, progress?: ProgressFn): Promise<FallbackOutcome> {
    return this.call('fallback', [config, target], progress);
  }

  report(progress?: ProgressFn): Promise<AnalysisReport> {
    return this.call('report', [], progress);
  }

  // Asks the running qat() to stop after its current epoch (the worker reads it between epochs).
  stopQat(): Promise<void> {
    return this.call('stopQat', []);
  }

  // Stops whatever runs now; its promise rejects with CancelledError.
  cancel(): void {
    this.restart(new CancelledError());
  }

  private start(): void {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url));
    this.worker.onmessage = ({ data }: MessageEvent<Reply>) => this.receive(data);
    this.worker.onerror = (event) => this.restart(new Error(`the engine stopped: ${event.message}`));
    this.ready = this.post({ id: this.nextId++, init: this.qplayUrl }).then(() => this.replay());
    this.ready.catch(() => undefined);  // each call reports it
  }

  private restart(reason: Error): void {
    this.worker.terminate();
    const failed = [...this.pending.values()];
    this.pending.clear();
    for (const p of failed) p.reject(reason);
    this.start();
  }

  private async replay(): Promise<void> {
    if (this.savedModel) {
      const files = Object.fromEntries(
        await Promise.all(Object.entries(this.savedExternalFiles).map(async ([name, blob]) => [name, await blob.arrayBuffer()])),
      );
      await this.post(this.request('loadModel', [await this.savedModel.arrayBuffer(), files]));
    }
    for (const [role, saved] of Object.entries(this.savedSamples))
      await this.post(this.request('setSamples', [role, await restoreData(saved.data), saved.labels && (await restore(saved.labels))]));
    if (this.savedQuantized) await this.post(this.request('setQuantized', [await this.savedQuantized.arrayBuffer()]));
  }

  private request(method: Method, args: unknown[]): Request {
    return { id: this.nextId++, method, args };
  }

  private async call<T>(method: Method, args: unknown[], progress?: ProgressFn, transfer = true): Promise<T> {
    await this.ready.catch((e: Error) => {
      throw e instanceof CancelledError ? e : new Error(`the engine could not start: ${e.message}`);
    });
    return (await this.post(this.request(method, args), progress, transfer)) as T;
  }

  private post(request: Request, progress?: ProgressFn, transfer = true): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject, progress });
      this.worker.postMessage(request, transfer ? transferablesOf(request) : []);
    });
  }

  private receive(reply: Reply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    if ('progress' in reply) {
      pending.progress?.(...reply.progress, reply.detail);
      return;
    }
    this.pending.delete(reply.id);
    if (reply.ok) pending.resolve(reply.result);
    else if (reply.fatal) {
      pending.reject(new Error(`${reply.error} (the engine restarted; your model and samples are loaded again)`));
      this.restart(new Error('the engine restarted'));
    } else pending.reject(new Error(reply.error));
  }
}
