// The wasm module's JavaScript API (src/bindings/embind.cpp): the one declaration of every
// function, method and result shape. web/ and wasm-tests/ import it; the test
// wasm-tests/wasm/api-types.test.mjs fails when the binding and these declarations drift apart
// (a method added or removed on either side, or a result with keys not declared here).
import type {
  ActivationRanges, AnalysisReport, BackendPreset, ConvertOptions, EpochReport, EvaluationReport, FallbackOutcome, FallbackTarget,
  GraphNode, InitializerInfo, LayerErrorReport, LayerPlan, ModelInfo, QuantConfig, QuantizationNote, QuantFormatOptions, QuantParams,
  QuantizeTensorOptions, QuantizedTensor, SampleFile, SampleFileContents, TensorData,
} from './types';

// Called during long work with the steps done and the total; returning false cancels it.
export type WasmProgress = (done: number, total: number) => boolean;

export interface NodeProfile {
  name: string;
  op_type: string;
  ms: number;
  macs: number;   // multiply-accumulates, as the op's schema counts them
  bytes: number;  // inputs read plus outputs written
}

export interface OpTypeProfile {
  count: number;
  ms: number;
  macs: number;
  bytes: number;
}

export interface ModelProfile {
  total_ms: number;
  parameter_bytes: number;
  nodes: NodeProfile[];
  op_types: Record<string, OpTypeProfile>;
}

export interface Int8GemmThroughput {
  gemm_gops: number;
  peak_gops: number;
  fraction_of_peak: number;
  relaxed_gops: number;  // the relaxed-SIMD GEMM where it runs (relaxedDot() is not "none"), else 0
}

export interface QatSessionOptions {
  epochs?: number;
  learningRate?: number;
  optimizer?: 'sgd' | 'adam';
  batchSize?: number;
  lsq?: boolean;
  observerSteps?: number;
}

export interface RangeChoiceOptions {
  percentile?: number;
  symmetric?: boolean;
  bins?: number;
}

// A loaded model (embind class Model). Methods throw an Error naming the problem; delete() frees it.
export interface WasmModel {
  info(): ModelInfo;
  notes(): QuantizationNote[];
  run(inputs: Record<string, TensorData>, progress?: WasmProgress | null): Record<string, TensorData & { type: string }>;
  save(): Uint8Array;
  // The model with its tensors of 1 KiB or more in the data file `location`, kept beside it.
  saveWithExternalData(location: string): { model: Uint8Array; files: Record<string, Uint8Array> };
  layers(config: QuantConfig): LayerPlan[];
  quantize(config: QuantConfig, calibration: Samples, progress: WasmProgress | null): WasmModel;
  evaluate(data: Samples, labels: TensorData | null, compared: WasmModel | null, progress: WasmProgress | null): EvaluationReport;
  analyze(data: Samples, quantized: WasmModel, progress: WasmProgress | null): LayerErrorReport;
  profile(data: Samples): ModelProfile;
  report(quantized: WasmModel, data: Samples, labels: TensorData | null, progress: WasmProgress | null): AnalysisReport;
  // With a target, also the fallback to it and the model that meets it (or the closest tried).
  sensitivity(config: QuantConfig, calibration: Samples, data: Samples, labels: TensorData | null,
              target: FallbackTarget, progress: WasmProgress | null): Omit<FallbackOutcome, 'bytes'> & { model: Uint8Array };
  sensitivity(config: QuantConfig, calibration: Samples, data: Samples, labels: TensorData | null,
              target: null, progress: WasmProgress | null): Omit<FallbackOutcome, 'bytes' | 'fallback'>;
  rangeChoices(tensors: string[], calibration: Samples, options: RangeChoiceOptions): ActivationRanges[];
  initializers(): InitializerInfo[];
  initializer(name: string): TensorData & { type: string };
  nodes(): GraphNode[];
  // This model carried to a newer opset, rewritten in float16, or both (see ConvertOptions), as a new Model.
  convert(options: ConvertOptions): WasmModel;
  prepared(config: QuantConfig, calibration: Samples | null): WasmModel;
  qat(config: QuantConfig, data: TensorData, labels: TensorData, evalData: TensorData | null, evalLabels: TensorData | null,
      options: QatSessionOptions): WasmQatSession;
  delete(): void;
}

// Quantization-aware training an epoch at a time (embind class QatSession).
export interface WasmQatSession {
  epoch(): EpochReport;
  best(): EpochReport;
  finish(): WasmModel;
  delete(): void;
}

// A .npy, .npz or .csv file the core reads a few samples at a time, so that a data set need not
// fit in memory: in a worker, a File read with FileReaderSync; in Node, a file descriptor.
// read() returns exactly `length` bytes from `offset`; an error it throws is reported, named.
// rows: only these samples of each of its arrays.
export interface SampleFileReader {
  name: string;  // its extension picks the format
  size: number;
  read(offset: number, length: number): Uint8Array;
  rows?: { start: number; count: number };
}

// A data set for a model's inputs: one tensor (or sample file) for a single-input model, or
// tensors (or sample files) by input name. A tensor shaped exactly like its input is fed to every
// run (a state, a sample rate); in any other the first axis counts samples (runtime/sample_feeds.h).
export type Samples = TensorData | SampleFileReader | Record<string, TensorData | SampleFileReader>;


export interface QplayModule {
  // externalFiles: the external data files the model names ({ 'model.onnx.data': bytes }).
  loadModel(bytes: Uint8Array | ArrayBuffer, externalFiles?: Record<string, Uint8Array | ArrayBuffer> | null): WasmModel;
  parseTensorProto(bytes: Uint8Array): TensorData & { type: string; name?: string };
  parseNpy(bytes: Uint8Array): TensorData & { type: string };
  // Samples from a .npy, .npz or .csv file (by its name's extension); errors start with the name.
  parseSampleFile(name: string, bytes: Uint8Array): SampleFile;
  inspectSampleFile(reader: SampleFileReader): SampleFileContents;
  // Threads the kernels use (qplay-threads.js: up to maxThreadCount(), the machine's count by
  // default; qplay.js: always 1). Results are the same bits on any count.
  threadCount(): number;
  setThreadCount(count: number): void;
  maxThreadCount(): number;
  // How the 8-bit GEMMs use relaxed SIMD's 8-bit dot product: "unsigned" or "signed" (the
  // engine's exact reading of its second operand; qplay-relaxed.js where the engine has one) or
  // "none" (i32x4.dot_i16x8_s).
  relaxedDot(): 'unsigned' | 'signed' | 'none';
  // Every op the runtime runs, with the opset versions of its definitions, as a Markdown table.
  supportedOpsTable(): string;
  measureInt8Gemm(m: number, n: number, k: number): Int8GemmThroughput;
  backends(): BackendPreset[];
  quantParams(rmin: number, rmax: number, format: QuantFormatOptions): QuantParams;
  // The largest tensor a model's sizes may ask for (2 GiB by default), for every model.
  setMaxTensorBytes(bytes: number): void;
  // Iterations a Loop may run before it fails (2^20 by default), for every model.
  setMaxLoopIterations(iterations: number): void;
  quantizeTensor(tensor: TensorData, options: QuantizeTensorOptions): QuantizedTensor;
}

// build/wasm/qplay.js (or build/wasm-threads/qplay-threads.js): in Node pass the module's bytes
// as wasmBinary (Node cannot fetch a path). The threaded module's pthread workers load its
// script from mainScriptUrlOrBlob when it is not the script running (a worker that imported it).
export type CreateQplay = (options?: {
  wasmBinary?: ArrayBuffer | Uint8Array;
  locateFile?: (file: string) => string;
  mainScriptUrlOrBlob?: string;
}) => Promise<QplayModule>;
