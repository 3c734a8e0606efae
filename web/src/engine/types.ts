// What the page and the engine say to each other. The same Engine interface is served by
// CoreEngine (the wasm module in this thread: the worker, Node tests) and by WorkerEngine
// (the page, talking to a worker).

export type TypedArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array;

export interface TensorData {
  data: TypedArray;
  dims: number[];
  type?: string;
}

export interface ValueInfo {
  name: string;
  dtype: string;
  shape: (number | string)[] | null;
}

export interface ModelInfo {
  graph_name: string;
  producer: string;
  opsets: Record<string, number>;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  node_count: number;
  op_histogram: Record<string, number>;
  parameter_count: number;
  parameter_bytes: number;
  unsupported: string[];
}

export type LayerFate = 'quantized' | 'float' | 'folded';

export interface LayerPlan {
  node: string;
  op_type: string;
  outputs: string[];
  fate: LayerFate;
}

export interface QuantFormatOptions {
  type?: 'uint8' | 'int8' | 'uint16' | 'int16';
  symmetric?: boolean;
  reduceRange?: boolean;
}

export interface QuantizeTensorOptions extends QuantFormatOptions {
  axis?: number;       // per channel along this axis
  rmin?: number;       // a fixed range instead of the tensor's own
  rmax?: number;
  errorAxis?: number;  // also the error of each slice along this axis
}

export interface QuantParams {
  scale: number;
  zero_point: number;
  qmin: number;
  qmax: number;
}

// SQNR is null when there is no error at all (infinite).
export interface TensorErrorMetrics {
  sqnr_db: number | null;
  cosine: number;
  mse: number;
  max_abs: number;
}

export interface QuantizedTensor {
  params: { scale: number; zero_point: number }[];
  levels: Int32Array;
  dequantized: Float32Array;
  qmin: number;
  qmax: number;
  error: TensorErrorMetrics;
  channel_errors?: TensorErrorMetrics[];  // with errorAxis
}

export interface GraphNode {
  name: string;
  op_type: string;
  domain: string;
  inputs: string[];
  outputs: string[];
}

export interface InitializerInfo {
  name: string;
  dims: number[];
  type: string;
}

export interface RangeChoice {
  min: number;
  max: number;
  clipped_fraction: number;
}

export interface ActivationRanges {
  tensor: string;
  histogram: { lo: number; hi: number; counts: number[] };
  methods: Record<string, RangeChoice>;  // by calibration method: minmax, moving-average, percentile, entropy, mse
}

export interface ErrorMetrics {
  sqnr_db: number;
  cosine: number;
  mse: number;
  max_abs: number;
}

export interface Disagreement {
  sample: number;
  reference: number;
  test: number;
}

export interface EvaluationReport {
  samples: number;
  accuracy?: number;
  compare?: {
    accuracy?: number;
    agreement?: number;
    disagreements?: Disagreement[];
    outputs: Record<string, ErrorMetrics>;
  };
}

export interface Histogram {
  lo: number;
  hi: number;
  float: number[];
  dequantized: number[];
  clip_range?: [number, number];
}

export interface TensorError extends ErrorMetrics {
  tensor: string;
  node: string;
  op_type: string;
  histogram?: Histogram;
  clipped_fraction?: number;
  channel_ranges?: [number, number][];
}

export interface LayerErrorReport {
  samples: number;
  activations: TensorError[];
  weights: TensorError[];
}

export interface QuantizedModel {
  bytes: ArrayBuffer;  // the .onnx file to download
  info: ModelInfo;
}

export interface Latency {
  float_ms: number;
  quantized_ms: number;
  batch: number;
}

export type SampleRole = 'calibration' | 'evaluation';
// `detail`: what a step produced, for calls that report more than a count (QAT's epochs).
export type ProgressFn = (done: number, total: number, detail?: unknown) => void;

export interface QatOptions {
  epochs: number;
  learningRate: number;
  optimizer: 'sgd' | 'adam';
  batchSize: number;
  lsq: boolean;  // learn the activations' scales
  observerSteps: number;  // steps the activation observers keep moving before they freeze (0: calibrated ranges throughout)
}

export interface EpochReport {
  epoch: number;
  loss: number;
  accuracy?: number;  // of the fake-quantized model on the evaluation samples
}

export interface QatResult extends QuantizedModel {
  epochs: EpochReport[];
  best: EpochReport;
}

// The quantization config as the core reads it (ONNX Runtime's option names).
export type QuantConfig = Record<string, unknown>;

export interface BackendPreset {
  name: string;
  description: string;
  defaults: QuantConfig & { extra_options: Record<string, unknown> };
}

export interface Engine {
  backends(): Promise<BackendPreset[]>;
  // Replaces the loaded model only when `bytes` load; the previous one stays otherwise.
  loadModel(bytes: ArrayBuffer): Promise<ModelInfo>;
  layers(config: QuantConfig): Promise<LayerPlan[]>;
  parseNpy(bytes: ArrayBuffer): Promise<TensorData>;
  setSamples(role: SampleRole, data: TensorData, labels: TensorData | null): Promise<void>;
  sample(role: SampleRole, index: number): Promise<TensorData>;
  quantize(config: QuantConfig, progress?: ProgressFn): Promise<QuantizedModel>;
  // A quantized model from a file instead (one quantize() wrote before, say).
  setQuantized(bytes: ArrayBuffer): Promise<ModelInfo>;
  evaluate(progress?: ProgressFn): Promise<EvaluationReport>;
  analyze(progress?: ProgressFn): Promise<LayerErrorReport>;
  latency(): Promise<Latency>;
  // Quantization-aware training on the calibration samples (with their labels), measured on the
  // evaluation samples after each epoch (progress detail: the EpochReport); keeps the best
  // epoch, which then is the engine's quantized model. stopQat() ends it after the current epoch.
  qat(config: QuantConfig, options: QatOptions, progress?: ProgressFn): Promise<QatResult>;
  stopQat(): Promise<void>;
  // The arithmetic and data the teaching widgets show.
  quantParams(rmin: number, rmax: number, format: QuantFormatOptions): Promise<QuantParams>;
  quantizeTensor(tensor: TensorData, options: QuantizeTensorOptions): Promise<QuantizedTensor>;
  initializers(): Promise<InitializerInfo[]>;
  initializer(name: string): Promise<TensorData>;
  // The nodes of the loaded model, of the last quantized one, or of the loaded model as the
  // quantizer prepares it under `config` (BatchNorm folded; CLE, SmoothQuant when asked).
  nodes(which: 'model' | 'quantized'): Promise<GraphNode[]>;
  preparedNodes(config: QuantConfig): Promise<GraphNode[]>;
  preparedInitializer(config: QuantConfig, name: string): Promise<TensorData>;
  // For each tensor: its histogram over the calibration samples and each method's range.
  rangeChoices(tensors: string[], options: { percentile?: number; symmetric?: boolean; bins?: number }): Promise<ActivationRanges[]>;
}
