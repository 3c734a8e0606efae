// What one run produced, and the JSON report the page downloads beside the quantized model.
import type { EvaluationReport, LayerErrorReport, Latency, QuantConfig, QuantizationNote } from '../engine/types';

export const REPORT_FORMAT_VERSION = 1;

export interface RunResults {
  modelName: string;
  config: QuantConfig;
  evaluation: EvaluationReport;
  analysis: LayerErrorReport | null;   // null when the recipe writes no QDQ pairs to compare (weight-only, QOperator)
  analysisNote: string;
  latency: Latency | null;
  floatBytes: number;
  quantizedBytes: number;
  quantizedModel: ArrayBuffer;
  notes: QuantizationNote[];  // tensors the quantizer adjusted or found suspect
  reference: ReferenceNumbers | null;  // PyTorch on the same model and evaluation set, when known
}

// PyTorch's accuracy on the same evaluation set, for the bundled examples (examples/README.md).
export interface ReferenceNumbers {
  float: number;
  engines: Record<string, { static: number | null; dynamic: number | null }>;
}

export function reportJson(r: RunResults): string {
  return JSON.stringify({
    format_version: REPORT_FORMAT_VERSION,
    tool: 'qplay',
    model: r.modelName,
    recipe: r.config,
    metrics: {
      samples: r.evaluation.samples,
      float_accuracy: r.evaluation.accuracy ?? null,
      quantized_accuracy: r.evaluation.compare?.accuracy ?? null,
      agreement: r.evaluation.compare?.agreement ?? null,
      outputs: r.evaluation.compare?.outputs ?? {},
    },
    notes: r.notes,
    pytorch_reference_accuracy: r.reference,
    size_bytes: { float: r.floatBytes, quantized: r.quantizedBytes },
    latency_ms: r.latency ? { float: r.latency.float_ms, quantized: r.latency.quantized_ms, batch: r.latency.batch } : null,
    layers: r.analysis
      ? {
        samples: r.analysis.samples,
        activations: r.analysis.activations.map(({ histogram: _h, ...rest }) => rest),
        weights: r.analysis.weights.map(({ histogram: _h, channel_ranges: _c, ...rest }) => rest),
      }
      : null,
  }, null, 2);
}
