// The Engine over the wasm module in this thread. The worker runs one; Node tests run one
// directly. Holds the float model, the last quantized model and the two sample sets.
import type { QplayModule, SampleFileReader, WasmModel, WasmProgress } from './qplay-module';
import {
  isFileRows, type ActivationRanges, type AnalysisReport, type BackendPreset, type ConvertOptions, type Engine, type FallbackOutcome, type FallbackTarget, type EpochReport, type GraphNode, type InitializerInfo, type QatOptions, type QatResult, type QuantFormatOptions, type QuantParams, type QuantizeTensorOptions, type QuantizedTensor, type EvaluationReport, type LayerErrorReport, type LayerPlan, type Latency, type ModelInfo, type ProgressFn, type QuantConfig, type QuantizedModel,
  type FileRows, type SampleData, type SampleFile, type SampleFileContents, type SampleRole, type TensorData,
} from './types';

interface SampleSet {
  data: SampleData;
  labels: TensorData | null;
}

// Reads bytes [offset, offset + length) of a File synchronously: what the core's sample file
// readers need, since wasm cannot wait for a promise. Workers have FileReaderSync; Node tests
// pass their own.
export type ReadBlob = (blob: Blob, offset: number, length: number) => Uint8Array;

const readWithFileReaderSync: ReadBlob = (blob, offset, length) => {
  if (typeof FileReaderSync === 'undefined') throw new Error('reading a file a few samples at a time needs a worker (FileReaderSync)');
  return new Uint8Array(new FileReaderSync().readAsArrayBuffer(blob.slice(offset, offset + length)));
};

// The layer analysis compares every quantized tensor; this many samples show where error comes from.
const ANALYSIS_SAMPLES = 200;

export function sliceSamples(tensor: TensorData, start: number, count: number): TensorData {
  const perSample = tensor.dims.slice(1).reduce((a, b) => a * b, 1);
  return {
    data: tensor.data.subarray(start * perSample, (start + count) * perSample) as TensorData['data'],
    dims: [count, ...tensor.dims.slice(1)],
    type: tensor.type,
  };
}

// Samples [start, start + count) of a set, as a copy (its buffer can be transferred on its own)
// or as a narrower range of its file.
export function samplesOf(data: SampleData, start: number, count: number): SampleData {
  if (isFileRows(data)) return { ...data, start: data.start + start, dims: [count, ...data.dims.slice(1)] };
  const view = sliceSamples(data, start, count);
  return { ...view, data: view.data.slice() as TensorData['data'] };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const ownBuffer = (bytes: Uint8Array) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

const toProgress = (progress?: ProgressFn): WasmProgress | null =>
  progress ? (done, total) => { progress(done, total); return true; } : null;

export class CoreEngine implements Engine {
  private model: WasmModel | null = null;
  private modelInfo: ModelInfo | null = null;  // the loaded model's summary, computed once
  private quantized: WasmModel | null = null;
  private stopRequested = false;
  private samples: Partial<Record<SampleRole, SampleSet>> = {};

  constructor(private readonly qp: QplayModule, private readonly readBlob: ReadBlob = readWithFileReaderSync) {}

  async backends(): Promise<BackendPreset[]> {
    return this.qp.backends();
  }

  // A model that loads but has nodes the runtime cannot run is refused the same way.
  async loadModel(bytes: ArrayBuffer, externalFiles?: Record<string, ArrayBuffer>): Promise<ModelInfo> {
    const next = this.qp.loadModel(new Uint8Array(bytes), externalFiles ?? null);  // throws: the previous model stays
    const info = next.info();
    const { unsupported } = info;
    if (unsupported.length) {
      next.delete();
      const more = unsupported.length > 1 ? ` (and ${unsupported.length - 1} more nodes)` : '';
      throw new Error(`cannot run ${unsupported[0]}${more}`);
    }
    this.dropQuantized();
    this.model?.delete();
    this.model = next;
    this.modelInfo = info;
    return info;
  }

  async layers(config: QuantConfig): Promise<LayerPlan[]> {
    return this.loaded().layers(config);
  }

  async convert(options: ConvertOptions): Promise<ArrayBuffer> {
    const converted = this.loaded().convert(options);
    try {
      return converted.save().buffer as ArrayBuffer;
    } finally {
      converted.delete();
    }
  }

  async parseNpy(bytes: ArrayBuffer): Promise<TensorData> {
    return this.qp.parseNpy(new Uint8Array(bytes));
  }

  async parseSampleFile(name: string, bytes: ArrayBuffer): Promise<SampleFile> {
    return this.qp.parseSampleFile(name, new Uint8Array(bytes));
  }

  async inspectSampleFile(file: File): Promise<SampleFileContents> {
    return this.qp.inspectSampleFile(this.reader(file));
  }

  async setSamples(role: SampleRole, data: SampleData, labels: TensorData | null): Promise<void> {
    if (!data.dims.length || data.dims[0] === 0) throw new Error(`the ${role} set is empty`);
    if (labels && labels.data.length !== data.dims[0])
      throw new Error(`the ${role} set has ${data.dims[0]} samples but ${labels.data.length} labels`);
    this.samples[role] = { data, labels };
  }

  async sample(role: SampleRole, index: number): Promise<TensorData> {
    const set = this.samplesFor(role);
    if (index < 0 || index >= set.data.dims[0]) throw new Error(`the ${role} set has no sample ${index}`);
    return this.oneSample(set.data, index);
  }

  async quantize(config: QuantConfig, progress?: ProgressFn): Promise<QuantizedModel> {
    const model = this.loaded();
    const calibration = config.mode === 'dynamic' || config.mode === 'weight_only' ? {} : { [this.inputName()]: this.feed(this.samplesFor('calibration').data) };
    const next = model.quantize(config, calibration, toProgress(progress));
    this.dropQuantized();
    this.quantized = next;
    return { bytes: ownBuffer(next.save()), info: next.info(), notes: next.notes() };
  }

  async qat(config: QuantConfig, options: QatOptions, progress?: ProgressFn): Promise<QatResult> {
    const train = this.samplesFor('calibration'), evaluation = this.samples.evaluation;
    if (!train.labels) throw new Error('quantization-aware training needs labels for the calibration samples');
    // Training holds its set in memory: it goes over it once per epoch, in shuffled order.
    const session = this.loaded().qat(config, this.inMemory(train.data), train.labels, evaluation?.labels ? this.inMemory(evaluation.data) : null,
                                      evaluation?.labels ?? null, options);
    const epochs: EpochReport[] = [];
    this.stopRequested = false;
    try {
      while (epochs.length < options.epochs && !this.stopRequested) {
        epochs.push(session.epoch());
        progress?.(epochs.length, options.epochs, epochs[epochs.length - 1]);
        await new Promise((resolve) => setTimeout(resolve, 0));  // lets a stopQat() message in
      }
      const next = session.finish();
      this.dropQuantized();
      this.quantized = next;
      return { bytes: ownBuffer(next.save()), info: next.info(), notes: next.notes(), epochs, best: session.best() };
    } finally {
      session.delete();
    }
  }

  async stopQat(): Promise<void> {
    this.stopRequested = true;
  }

  async fallback(config: QuantConfig, target: FallbackTarget, progress?: ProgressFn): Promise<FallbackOutcome> {
    const { data, labels } = this.samplesFor('evaluation');
    const calibration = { [this.inputName()]: this.feed(this.samplesFor('calibration').data) };
    const { model, ...outcome } = this.loaded().sensitivity(config, calibration, this.feed(data), labels, target, toProgress(progress));
    return { ...outcome, bytes: ownBuffer(model) };
  }

  async report(progress?: ProgressFn): Promise<AnalysisReport> {
    const { data, labels } = this.samplesFor('evaluation');
    return this.loaded().report(this.quantizedModel(), this.feed(data), labels, toProgress(progress));
  }

  async setQuantized(bytes: ArrayBuffer): Promise<ModelInfo> {
    const next = this.qp.loadModel(new Uint8Array(bytes));
    this.dropQuantized();
    this.quantized = next;
    return next.info();
  }

  async evaluate(progress?: ProgressFn): Promise<EvaluationReport> {
    const { data, labels } = this.samplesFor('evaluation');
    return this.loaded().evaluate(this.feed(data), labels, this.quantizedModel(), toProgress(progress));
  }

  async analyze(progress?: ProgressFn): Promise<LayerErrorReport> {
    const { data } = this.samplesFor('evaluation');
    const count = Math.min(data.dims[0], ANALYSIS_SAMPLES);
    return this.loaded().analyze(this.feed(samplesOf(data, 0, count)), this.quantizedModel(), toProgress(progress));
  }

  // Median time of one sample through each model, after a warm-up run. Runs are timed in rounds
  // of 2 ms or more, so that a clock coarsened to 0.1 ms or 1 ms (pages that are not
  // cross-origin isolated) still reads a model that runs in less.
  async latency(): Promise<Latency> {
    const input = { [this.inputName()]: this.oneSample(this.samplesFor('evaluation').data, 0) };
    const time = (model: WasmModel) => {
      const round = (runs: number) => {
        const start = performance.now();
        for (let r = 0; r < runs; r++) model.run(input);
        return performance.now() - start;
      };
      let runs = 1;
      while (round(runs) < 2 && runs < 1 << 16) runs *= 2;
      const times: number[] = [];
      const deadline = performance.now() + 1000;
      while (times.length < 5 || (times.length < 50 && performance.now() < deadline)) times.push(round(runs) / runs);
      return median(times);
    };
    return { float_ms: time(this.loaded()), quantized_ms: time(this.quantizedModel()), batch: 1 };
  }

  async quantParams(rmin: number, rmax: number, format: QuantFormatOptions): Promise<QuantParams> {
    return this.qp.quantParams(rmin, rmax, format);
  }

  async quantizeTensor(tensor: TensorData, options: QuantizeTensorOptions): Promise<QuantizedTensor> {
    return this.qp.quantizeTensor(tensor, options);
  }

  async initializers(): Promise<InitializerInfo[]> {
    return this.loaded().initializers();
  }

  async initializer(name: string): Promise<TensorData> {
    return this.loaded().initializer(name);
  }

  async nodes(which: 'model' | 'quantized'): Promise<GraphNode[]> {
    return (which === 'model' ? this.loaded() : this.quantizedModel()).nodes();
  }

  async preparedNodes(config: QuantConfig): Promise<GraphNode[]> {
    return this.withPrepared(config, (model) => model.nodes());
  }

  async preparedInitializer(config: QuantConfig, name: string): Promise<TensorData> {
    return this.withPrepared(config, (model) => model.initializer(name));
  }

  private withPrepared<T>(config: QuantConfig, read: (model: WasmModel) => T): T {
    const calibration = this.samples.calibration ? { [this.inputName()]: this.feed(this.samples.calibration.data) } : null;
    const prepared = this.loaded().prepared(config, calibration);
    try {
      return read(prepared);
    } finally {
      prepared.delete();
    }
  }

  async rangeChoices(tensors: string[], options: { percentile?: number; symmetric?: boolean; bins?: number }): Promise<ActivationRanges[]> {
    return this.loaded().rangeChoices(tensors, { [this.inputName()]: this.feed(this.samplesFor('calibration').data) }, options);
  }

  private reader(file: File, rows?: FileRows): SampleFileReader {
    const reader: SampleFileReader = { name: file.name, size: file.size, read: (offset, length) => this.readBlob(file, offset, length) };
    return rows ? { ...reader, rows: { start: rows.start, count: rows.dims[0] } } : reader;
  }

  // What the module is given for a set: the tensor, or a reader of the file's rows.
  private feed(data: SampleData): TensorData | SampleFileReader {
    return isFileRows(data) ? this.reader(data.file, data) : data;
  }

  // The set as one tensor, read whole from its file if need be.
  private inMemory(data: SampleData): TensorData {
    if (!isFileRows(data)) return data;
    const { samples } = this.qp.parseSampleFile(data.file.name, this.readBlob(data.file, 0, data.file.size));
    if (!samples) throw new Error(`${data.file.name}: the file holds several arrays`);
    return samplesOf(samples, data.start, data.dims[0]) as TensorData;
  }

  // Sample `index` of a set as a tensor [1, ...], read alone from its file if need be.
  private oneSample(data: SampleData, index: number): TensorData {
    const one = samplesOf(data, index, 1);
    if (!isFileRows(one)) return one;
    const [array] = Object.values(this.qp.inspectSampleFile(this.reader(one.file, one)).arrays);
    return array.first!;
  }

  private loaded(): WasmModel {
    if (!this.model) throw new Error('no model is loaded');
    return this.model;
  }

  private quantizedModel(): WasmModel {
    if (!this.quantized) throw new Error('quantize the model first');
    return this.quantized;
  }

  private samplesFor(role: SampleRole): SampleSet {
    const set = this.samples[role];
    if (!set) throw new Error(`no ${role} samples are loaded`);
    return set;
  }

  private inputName(): string {
    if (!this.modelInfo) throw new Error('no model is loaded');
    const inputs = this.modelInfo.inputs;
    if (inputs.length !== 1) throw new Error(`the playground feeds models with one input; this one has ${inputs.length}`);
    return inputs[0].name;
  }

  private dropQuantized(): void {
    this.quantized?.delete();
    this.quantized = null;
  }
}
