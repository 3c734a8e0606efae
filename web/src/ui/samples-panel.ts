// <qp-samples-panel>: where samples come from (files, a folder, labels), how images become
// tensors (prefilled from the example's JSON), a preview of the tensor the first sample
// becomes, and the calibration/evaluation split. Emits samples-change { calibration, evaluation }.
import { LitElement, css, html, nothing } from 'lit';
import type { Engine } from '../engine/types';
import { isImage } from '../data/images';
import { samplesFromFiles } from '../data/load-samples';
import { tensorToPixels, type Preprocessing } from '../data/preprocessing';
import { checkShape, firstSample, sampleCount, split, type Samples } from '../data/samples';
import { readLabelFile } from '../data/tensor-files';
import { sharedStyles } from './shared-styles';
import './sample-image';

export interface SampleSets {
  calibration: Samples;
  evaluation: Samples;
  bundled?: boolean;  // the example's own sets, on which PyTorch's reference numbers were measured
}

interface Preview {
  image: ImageData | null;
  dims: number[];
  min: number;
  max: number;
  mean: number;
}

function previewOf(s: Samples, p: Preprocessing): Preview {
  const { tensor, min, max, mean } = firstSample(s);
  return { image: tensorToPixels(tensor, p), dims: s.data.dims, min, max, mean };
}

export class SamplesPanel extends LitElement {
  static properties = {
    engine: { attribute: false }, preprocessing: { attribute: false }, classNames: { attribute: false },
    input: { attribute: false }, share: { type: Number }, busy: { state: true }, error: { state: true }, summary: { state: true },
    preview: { state: true }, disabled: { type: Boolean },
  };
  declare engine: Engine | null;
  declare preprocessing: Preprocessing;
  declare classNames: string[] | undefined;
  declare input: { name: string; shape: (number | string)[] | null } | null;
  declare share: number;
  declare busy: string;
  declare error: string;
  declare summary: string;
  declare preview: Preview | null;
  declare disabled: boolean;
  private pool: Samples | null = null;
  private imageFiles: File[] = [];

  static styles = [sharedStyles, css`
    .preview { display: flex; gap: 1rem; align-items: center; }
    qp-sample-image { width: 84px; height: 84px; }
  `];

  constructor() {
    super();
    this.engine = null;
    this.preprocessing = { width: 28, height: 28, color: 'grayscale', scale: 1 / 255, mean: [0], std: [1], layout: 'NCHW' };
    this.classNames = undefined;
    this.input = null;
    this.share = 0.2;
    this.busy = this.error = this.summary = '';
    this.preview = null;
    this.disabled = false;
  }

  // Sets that arrive already split (the bundled example's).
  showSets(sets: SampleSets) {
    this.pool = null;
    this.imageFiles = [];
    this.publish(sets);
  }

  // Files dropped on the page or picked here.
  async loadFiles(files: File[]) {
    if (!this.engine || !files.length) return;
    this.error = '';
    this.busy = 'Reading samples…';
    try {
      const samples = await samplesFromFiles(files, this.engine, this.preprocessing, this.classNames,
                                             (done, total) => (this.busy = `Decoding images ${done} / ${total}…`));
      this.imageFiles = files.filter(isImage);
      this.usePool(samples);
    } catch (e) {
      this.error = `Could not use these samples: ${(e as Error).message}. The previous samples are still loaded.`;
    } finally {
      this.busy = '';
    }
  }

  render() {
    const p = this.preprocessing;
    return html`
      <h2>Samples</h2>
      <p class="muted">Drop images (a folder per class gives labels), or one .npy, .npz or .csv file, anywhere on the page.</p>
      <div class="row">
        <label>Files <input id="sample-files" type="file" multiple accept="image/*,.npy,.npz,.csv" ?disabled=${this.disabled}
          @change=${(e: Event) => this.pick(e)} /></label>
        <label>Folder <input id="sample-folder" type="file" webkitdirectory ?disabled=${this.disabled} @change=${(e: Event) => this.pick(e)} /></label>
        <label>Labels <input id="label-file" type="file" accept=".npy,.csv" ?disabled=${this.disabled || !this.pool}
          @change=${(e: Event) => this.pickLabels(e)} /></label>
      </div>
      ${this.busy ? html`<p role="status">${this.busy}</p>` : nothing}
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${this.summary ? html`<p id="samples-summary">${this.summary}</p>` : nothing}
      ${this.pool ? html`<label>Calibration share
        <input type="range" aria-label="Calibration share" min="0.05" max="0.9" step="0.05" .value=${String(this.share)} ?disabled=${this.disabled}
          @change=${(e: Event) => { this.share = Number((e.target as HTMLInputElement).value); this.usePool(this.pool!); }} />
        ${Math.round(this.share * 100)}%</label>` : nothing}
      <fieldset><legend>Image preprocessing</legend>
        <div class="row">
          <label>Width <input type="number" min="1" max="4096" .value=${String(p.width)} @change=${(e: Event) => this.setPre({ width: num(e) })} /></label>
          <label>Height <input type="number" min="1" max="4096" .value=${String(p.height)} @change=${(e: Event) => this.setPre({ height: num(e) })} /></label>
          <label>Color <select @change=${(e: Event) => this.setPre({ color: (e.target as HTMLSelectElement).value as Preprocessing['color'] })}>
            <option value="grayscale" ?selected=${p.color === 'grayscale'}>grayscale</option><option value="rgb" ?selected=${p.color === 'rgb'}>RGB</option></select></label>
          <label>Layout <select @change=${(e: Event) => this.setPre({ layout: (e.target as HTMLSelectElement).value as Preprocessing['layout'] })}>
            <option ?selected=${p.layout === 'NCHW'}>NCHW</option><option ?selected=${p.layout === 'NHWC'}>NHWC</option></select></label>
        </div>
        <div class="row">
          <label>Scale <input type="number" step="any" .value=${String(p.scale)} @change=${(e: Event) => this.setPre({ scale: num(e) })} /></label>
          <label>Mean <input type="text" .value=${p.mean.join(', ')} @change=${(e: Event) => this.setPre({ mean: nums(e) })} /></label>
          <label>Std <input type="text" .value=${p.std.join(', ')} @change=${(e: Event) => this.setPre({ std: nums(e) })} /></label>
        </div>
      </fieldset>
      ${this.preview ? html`<div class="preview">
        ${this.preview.image ? html`<qp-sample-image .image=${this.preview.image} label="first sample"></qp-sample-image>` : nothing}
        <p class="muted">First sample as the model reads it: [${this.preview.dims.slice(1).join(', ')}],
          min ${this.preview.min.toFixed(3)}, max ${this.preview.max.toFixed(3)}, mean ${this.preview.mean.toFixed(3)}</p>
      </div>` : nothing}`;
  }

  private async pick(e: Event) {
    const input = e.target as HTMLInputElement;
    await this.loadFiles([...(input.files ?? [])]);
    input.value = '';
  }

  private async pickLabels(e: Event) {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file || !this.pool || !this.engine) return;
    try {
      const data = await readLabelFile(file, this.engine);
      if (data.dims[0] !== sampleCount(this.pool)) throw new Error(`${data.dims[0]} labels for ${sampleCount(this.pool)} samples`);
      this.usePool({ ...this.pool, labels: data, source: `${this.pool.source} + ${file.name}` });
    } catch (err) {
      this.error = `Could not use ${file.name} as labels: ${(err as Error).message}`;
    }
  }

  private setPre(changes: Partial<Preprocessing>) {
    this.preprocessing = { ...this.preprocessing, ...changes };
    if (this.imageFiles.length) void this.loadFiles(this.imageFiles);
  }

  private usePool(samples: Samples) {
    if (sampleCount(samples) < 2) {
      this.error = `${samples.source}: at least 2 samples are needed (one to calibrate, one to evaluate)`;
      return;
    }
    this.pool = samples;
    this.publish(split(samples, this.share));
  }

  private publish(sets: SampleSets) {
    try {
      if (this.input) checkShape(sets.calibration, this.input.shape, this.input.name);
    } catch (e) {
      this.error = `${(e as Error).message}. Change the preprocessing or load other samples; the previous samples are still loaded.`;
      return;
    }
    const labelled = sets.evaluation.labels ? 'with labels' : 'without labels (agreement and SQNR only)';
    this.summary = `${sampleCount(sets.calibration)} calibration samples (${sets.calibration.source}) and ${sampleCount(sets.evaluation)} evaluation samples (${sets.evaluation.source}), ${labelled}.`;
    this.preview = previewOf(sets.calibration, this.preprocessing);
    this.dispatchEvent(new CustomEvent('samples-change', { detail: sets, bubbles: true, composed: true }));
  }
}

const num = (e: Event) => Number((e.target as HTMLInputElement).value);
const nums = (e: Event) => (e.target as HTMLInputElement).value.split(',').map(Number).filter(Number.isFinite);

customElements.define('qp-samples-panel', SamplesPanel);
