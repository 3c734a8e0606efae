// <qplay-affine>: the affine mapping on a real tensor. Drag the range (or type it) and see the
// scale, zero point and integer grid the quantizer computes, and what rounding and clipping
// cost. Attributes: model, tensor (an initializer; default the first conv weight), type
// (int8 | uint8 | int16 | uint16) or bits (8 | 16, keeping type's sign), scheme (asymmetric |
// symmetric), min, max, hide
// (type,scheme,range,charts). `value`: the parameters and the error.
import { html, nothing } from 'lit';
import type { QuantizedTensor, TensorData } from '../engine/types';
import { histogramChartConfig, histogramOf } from '../ui/histogram-chart';
import '../ui/chart-view';
import { QplayWidget } from './widget-base';
import { widgetWeight, type WidgetModel } from './widget-model';

type QType = 'int8' | 'uint8' | 'int16' | 'uint16';

export interface AffineValue {
  tensor: string;
  type: QType;
  symmetric: boolean;
  rmin: number;
  rmax: number;
  scale: number;
  zero_point: number;
  qmin: number;
  qmax: number;
  sqnr_db: number | null;
  mse: number;
  max_abs: number;
  clipped: number;
}

const fmt = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(4) : v.toPrecision(5));

export class AffineWidget extends QplayWidget {
  static properties = {
    ...QplayWidget.properties, tensor: {}, type: {}, bits: { type: Number }, scheme: {}, min: { type: Number }, max: { type: Number },
    result: { state: true },
  };
  declare tensor: string;
  declare type: QType;
  declare bits: number;
  declare scheme: 'asymmetric' | 'symmetric';
  declare min: number;
  declare max: number;
  declare result: QuantizedTensor | null;
  private source: WidgetModel | null = null;
  private data: TensorData | null = null;
  private lo = 0;
  private hi = 0;
  private token = 0;
  private resultRange: [number, number] = [0, 0];  // the range `result` was computed for

  constructor() {
    super();
    this.tensor = '';
    this.type = 'int8';
    this.bits = 0;
    this.scheme = 'asymmetric';
    this.min = this.max = NaN;
    this.result = null;
  }

  get value(): AffineValue | null {
    const r = this.result;
    if (!r) return null;
    const p = r.params[0];
    return {
      tensor: this.tensor, type: this.type, symmetric: this.scheme === 'symmetric', rmin: this.resultRange[0], rmax: this.resultRange[1],
      scale: p.scale, zero_point: p.zero_point, qmin: r.qmin, qmax: r.qmax, sqnr_db: r.error.sqnr_db, mse: r.error.mse,
      max_abs: r.error.max_abs, clipped: this.clippedCount(),
    };
  }

  async connectedCallback() {
    super.connectedCallback();
    if (this.bits === 8 || this.bits === 16) this.type = `${this.type.startsWith('u') ? 'uint' : 'int'}${this.bits}` as QType;
    try {
      const weight = await widgetWeight(this.model, this.tensor);
      [this.source, this.tensor, this.data] = [weight.source, weight.name, weight.data];
      const values = this.data.data as Float32Array;
      this.lo = values.reduce((a, b) => Math.min(a, b), 0);
      this.hi = values.reduce((a, b) => Math.max(a, b), 0);
      if (!Number.isFinite(this.min)) this.min = this.lo;
      if (!Number.isFinite(this.max)) this.max = this.hi;
      this.status = '';
      await this.compute('change');
    } catch (e) {
      this.fail(e);
    }
  }

  private async compute(kind: 'input' | 'change') {
    if (!this.source || !this.data) return;
    const token = ++this.token;
    const range: [number, number] = [this.min, this.max];
    try {
      const result = await this.source.engine.quantizeTensor(this.data, {
        type: this.type, symmetric: this.scheme === 'symmetric', rmin: range[0], rmax: range[1],
      });
      if (token !== this.token) return;  // a newer drag position is on its way
      this.resultRange = range;
      this.result = result;
      this.error = '';
      this.emit(kind);
    } catch (e) {
      this.fail(e);
    }
  }

  private set(changes: Partial<Pick<AffineWidget, 'type' | 'scheme' | 'min' | 'max'>>, kind: 'input' | 'change') {
    Object.assign(this, changes);
    void this.compute(kind);
  }

  private clippedCount(): number {
    if (!this.result || !this.data) return 0;
    const { scale } = this.result.params[0];
    const x = this.data.data as Float32Array, dq = this.result.dequantized;
    let clipped = 0;
    for (let i = 0; i < x.length; i++) clipped += Math.abs(x[i] - dq[i]) > 0.5 * scale * 1.001 ? 1 : 0;
    return clipped;
  }

  render() {
    const v = this.value;
    return html`
      <h3>Affine quantization of <code>${this.tensor || '…'}</code></h3>
      ${this.renderState()}
      ${this.renderControls()}
      ${v ? this.renderNumbers(v) : nothing}
      ${v && this.shows('charts') ? this.renderCharts(v) : nothing}`;
  }

  private renderControls() {
    if (!this.data) return nothing;
    const span = Math.max(this.hi - this.lo, 1e-6);
    const step = span / 1000;
    const lowest = Math.min(this.lo - span / 2, this.min), highest = Math.max(this.hi + span / 2, this.max);
    return html`<div class="row">
      ${this.shows('type') ? html`<label>Type <select aria-label="Type" @change=${(e: Event) => this.set({ type: (e.target as HTMLSelectElement).value as QType }, 'change')}>
        ${(['int8', 'uint8', 'int16', 'uint16'] as QType[]).map((t) => html`<option ?selected=${t === this.type}>${t}</option>`)}</select></label>` : nothing}
      ${this.shows('scheme') ? html`<label>Scheme <select aria-label="Scheme" @change=${(e: Event) => this.set({ scheme: (e.target as HTMLSelectElement).value as 'asymmetric' | 'symmetric' }, 'change')}>
        ${['asymmetric', 'symmetric'].map((s) => html`<option ?selected=${s === this.scheme}>${s}</option>`)}</select></label>` : nothing}
    </div>
    ${this.shows('range') ? html`<div class="row">
      <label>min <input type="range" aria-label="range minimum" min=${lowest} max=${0} step=${step} .value=${String(this.min)}
        @input=${(e: Event) => this.set({ min: num(e) }, 'input')} @change=${(e: Event) => this.set({ min: num(e) }, 'change')} />
        <input type="number" aria-label="minimum" step="any" .value=${fmt(this.min)} @change=${(e: Event) => this.set({ min: num(e) }, 'change')} /></label>
      <label>max <input type="range" aria-label="range maximum" min=${0} max=${highest} step=${step} .value=${String(this.max)}
        @input=${(e: Event) => this.set({ max: num(e) }, 'input')} @change=${(e: Event) => this.set({ max: num(e) }, 'change')} />
        <input type="number" aria-label="maximum" step="any" .value=${fmt(this.max)} @change=${(e: Event) => this.set({ max: num(e) }, 'change')} /></label>
    </div>` : nothing}`;
  }

  private renderNumbers(v: AffineValue) {
    const lo = Math.min(v.rmin, 0), hi = Math.max(v.rmax, 0), absmax = Math.max(-lo, hi);
    const formula = v.symmetric
      ? html`scale = 2 × max(|min|, |max|) / (q<sub>max</sub> − q<sub>min</sub>) = 2 × ${fmt(absmax)} / ${v.qmax - v.qmin}`
      : html`scale = (max − min) / (q<sub>max</sub> − q<sub>min</sub>) = (${fmt(hi)} − ${fmt(lo)}) / ${v.qmax - v.qmin}`;
    return html`<p class="numbers">${formula} = <strong id="scale">${fmt(v.scale)}</strong></p>
      <p class="numbers">zero point = ${v.symmetric ? html`the middle of the integer range` : html`round(q<sub>min</sub> − min / scale)`}
        = <strong id="zero-point">${v.zero_point}</strong>; integers ${v.qmin} … ${v.qmax}; x ↦ clamp(round(x / scale) + ${v.zero_point})</p>
      <p class="numbers" id="grid">the integer grid in real units: ${this.gridText(v)}</p>
      <p class="numbers">SQNR <strong id="sqnr">${v.sqnr_db === null ? '∞' : `${v.sqnr_db.toFixed(2)} dB`}</strong> · MSE ${v.mse.toExponential(3)}
        · largest error ${fmt(v.max_abs)} · <span id="clipped">${v.clipped}</span> of ${this.data!.data.length} values clipped</p>`;
  }

  // The representable values: both ends and the few around 0, each (level − zero point) × scale.
  private gridText(v: AffineValue): string {
    const real = (level: number) => fmt((level - v.zero_point) * v.scale);
    const near = [-2, -1, 0, 1, 2].map((d) => v.zero_point + d).filter((l) => l > v.qmin && l < v.qmax);
    return `${real(v.qmin)} (level ${v.qmin}), …, ${near.map(real).join(', ')}, …, ${real(v.qmax)} (level ${v.qmax})`;
  }

  private renderCharts(v: AffineValue) {
    const x = this.data!.data as Float32Array, dq = this.result!.dequantized;
    const span = this.hi - this.lo || 1;
    const clip: [number, number] = [(v.qmin - v.zero_point) * v.scale, (v.qmax - v.zero_point) * v.scale];
    const values = histogramOf(x, dq, Math.min(this.lo, clip[0]) - span * 0.05, Math.max(this.hi, clip[1]) + span * 0.05, 64, clip);
    const errors = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) errors[i] = (x[i] - dq[i]) / v.scale;
    const errorHistogram = histogramOf(errors, errors, -1, 1, 40);
    return html`<div class="charts">
      <qp-chart .config=${histogramChartConfig(this, values, 'values: float (bars), dequantized (line), representable range (dashed)')}
        label="histogram of the tensor's float and dequantized values"></qp-chart>
      <qp-chart .config=${histogramChartConfig(this, { ...errorHistogram, dequantized: [] }, 'error x − dequantized, in steps (±0.5 is rounding; beyond is clipping)', false)}
        label="histogram of the quantization error"></qp-chart>
    </div>`;
  }
}

const num = (e: Event) => Number((e.target as HTMLInputElement).value);

customElements.define('qplay-affine', AffineWidget);
