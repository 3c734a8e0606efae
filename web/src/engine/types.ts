// What the page and the engine say to each other. The same Engine interface is served by
// CoreEngine (the wasm module in this thread: the worker, Node tests) and by WorkerEngine
// (the page, talking to a worker).

export type TypedArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array;

export interface TensorData {
  data: TypedArray;
  dims: number[];
  type?: string;
}

// Samples [start, start + dims[0]) of the one array of a .npy or .npz file, which the engine
// reads a run at a time (so a set need not fit in memory); dims as a tensor of them would have.
export interface FileRows {
  file: File;
  start: number;
  dims: number[];
  type: string;
}

export type SampleData = TensorData | FileRows;
export const isFileRows = (data: SampleData): data is FileRows => 'file' in data;

// What a .npy or .npz file holds, read through once in the engine without keeping it: each
// array's shape, type, first sample and first NaN or infinity, and the labels.
export interface SampleFileContents {
  arrays: Record<string, {
    dims: number[];
    type: string;
    first: TensorData | null;
    nonFinite: { sample: number; element: number; value: number } | null;
  }>;
  labels: TensorData | null;
}

// The arrays of a sample file (.npy, .npz, .csv) by name ('' for an .npy's or a .csv's array);
// samples: the only array, null when the file holds several; labels, if the file holds them.
export interface SampleFile {
  arrays: Record<string, TensorData & { type: string }>;
  samples: (TensorData & { type: string }) | null;
  labels: TensorData | null;
}

export interface ValueInfo {
  name: string;
  dtype: string;
  shape: (number | string)[] | null;
}

export interface ModelInfo {
  graph_name: string;
  producer: string;
  ir_version: number;
  opsets: Record<string, number>;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  node_count: number;
  op_histogram: Record<string, number>;
  parameter_count: number;
  parameter_bytes: number;
  unsupported: string[];
  // 'float16' or 'bfloat16' when the file stores that precision: loaded and computed in float32.
  upcast_from: string;
}

export type LayerFate = 'quantized' | 'float' | 'folded';

export interface LayerPlan {
  node: string;
  op_type: string;
  outputs: string[];
  fate: LayerFate;
  unit: string;  // the op a decomposed pattern of nodes computes ('LayerNormalization'), or ''
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
  channel_clipped_fraction?: number[];    // weights: per output channel
  channel_sqnr_db?: (number | null)[];    // null where a channel has no error
}

export interface LayerErrorReport {
  samples: number;
  activations: TensorError[];
  weights: TensorError[];
}

// Where the error comes from, node by node: the model output with only that node quantized
// (`alone`) and with every node but it (`all_but`), most sensitive first.
export interface NodeSensitivity {
  node: string;
  op_type: string;
  fused: string[];        // nodes quantized with it (a Relu folded into its Conv)
  activations: string[];  // the tensors it quantizes
  alone: ErrorMetrics;
  all_but: ErrorMetrics;
  agreement_alone: number;
  agreement_all_but: number;
}

// Every limit given must hold. maxAccuracyDrop is in points (top-1 agreement with float when
// the evaluation samples have no labels); minAgreement is a fraction.
export interface FallbackTarget {
  maxAccuracyDrop?: number;
  minAgreement?: number;
  minSqnrDb?: number;
  keepAs: 'float' | 'int16';
}

export interface FallbackOutcome {
  all: ErrorMetrics;  // every node quantized
  agreement_all: number;
  nodes: NodeSensitivity[];
  fallback: {
    kept_nodes: string[];  // in the order they were taken
    kept_as: 'float' | 'int16';
    met: boolean;
    size_bytes: { float: number; quantized: number };
    evaluation: EvaluationReport;
  };
  bytes: ArrayBuffer;  // the model that meets the target (or the closest tried), to download
}

// The analyzer's versioned report (docs/analysis-report.md); the page only saves it.
export interface AnalysisReport {
  format: 'qplay-analysis';
  version: number;
  samples: number;
  [key: string]: unknown;
}

// A tensor the quantizer adjusted (a widened weight scale, a widened range) or found suspect.
export interface QuantizationNote {
  kind: 'adjusted' | 'unit' | 'warning';  // a change made, a decomposed op kept whole, or a tensor that lost signal
  tensor: string;
  node: string;  // the node it belongs to, or ''
  message: string;
}

export interface QuantizedModel {
  bytes: ArrayBuffer;  // the .onnx file to download
  info: ModelInfo;
  notes: QuantizationNote[];
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

// What Engine.convert does: carry the model to ai.onnx opset `opset` (up to 22) with the core's
// converter, and/or rewrite it in float16 as onnxconverter-common does (keepIoTypes: float32
// inputs and outputs; keepFloat32: op types or node names that stay float32 beside TopK, Resize...).
export interface ConvertOptions {
  opset?: number;
  float16?: boolean;
  keepIoTypes?: boolean;
  keepFloat32?: string[];
}

export interface Engine {
  backends(): Promise<BackendPreset[]>;
  // Replaces the loaded model only when `bytes` load; the previous one stays otherwise.
  // externalFiles: the external data files the model names, by name.
  loadModel(bytes: ArrayBuffer, externalFiles?: Record<string, ArrayBuffer>): Promise<ModelInfo>;
  layers(config: QuantConfig): Promise<LayerPlan[]>;
  // The loaded model carried to a newer opset, rewritten in float16, or both, as ONNX bytes.
  convert(options: ConvertOptions): Promise<ArrayBuffer>;
  parseNpy(bytes: ArrayBuffer): Promise<TensorData>;
  // Samples from a .npy, .npz (labels under a name like 'labels' or 'y') or .csv (a label column)
  // file, by its name's extension; errors start with the name.
  parseSampleFile(name: string, bytes: ArrayBuffer): Promise<SampleFile>;
  inspectSampleFile(file: File): Promise<SampleFileContents>;
  setSamples(role: SampleRole, data: SampleData, labels: TensorData | null): Promise<void>;
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
  // Ranks the nodes by sensitivity, then keeps the most sensitive out of int8 until the target
  // holds on the evaluation samples (static recipes; the calibration is done once).
  fallback(config: QuantConfig, target: FallbackTarget, progress?: ProgressFn): Promise<FallbackOutcome>;
  // The analyzer's whole report on the float model and the last quantized one, over the evaluation samples.
  report(progress?: ProgressFn): Promise<AnalysisReport>;
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
