// <qplay-fake-quant>: fake quantization, the function quantization-aware training inserts —
// quantize then dequantize, a staircase — and the straight-through estimator's gradient (1
// inside the representable range, 0 where the value is clipped). Attributes: min, max, type
// (int8 | uint8), x (the value followed), hide (x). `value`: { x, level, fake_quantized, gradient }.
import type { ChartConfiguration } from 'chart.js';
import { html, nothing } from 'lit';
import type { QuantizedTensor } from '../engine/types';
import { themeColor } from '../ui/chart-view';
import '../ui/chart-view';
import { QplayWidget } from './widget-base';
import { mathEngine } from './widget-model';

const POINTS = 801;

export class FakeQuantWidget extends QplayWidget {
  static properties = { ...QplayWidget.properties, min: { type: Number }, max: { type: Number }, type: {}, x: { type: Number },
    curve: { state: true }, point: { state: true } };
  declare min: number;
  declare max: number;
  declare type: 'int8' | 'uint8';
  declare x: number;
  declare curve: { xs: Float32Array; q: QuantizedTensor } | null;
  declare point: QuantizedTensor | null;
  private token = 0;

  constructor() {
    super();
    this.min = -1;
    this.max = 1;
    this.type = 'int8';
    this.x = 0.3;
    this.curve = this.point = null;
  }

  get value() {
    const p = this.point;
    if (!p) return null;
    const inside = this.x >= this.lowest() && this.x <= this.highest();
    return { x: this.x, level: p.levels[0], fake_quantized: p.dequantized[0], gradient: inside ? 1 : 0, scale: p.params[0].scale,
      zero_point: p.params[0].zero_point };
  }

  // The representable range: the ends of the integer range, dequantized.
  private lowest() { const p = this.point!.params[0]; return (this.point!.qmin - p.zero_point) * p.scale; }
  private highest() { const p = this.point!.params[0]; return (this.point!.qmax - p.zero_point) * p.scale; }

  async connectedCallback() {
    super.connectedCallback();
    try {
      const span = this.max - this.min;
      const xs = Float32Array.from({ length: POINTS }, (_, i) => this.min - 0.3 * span + (1.6 * span * i) / (POINTS - 1));
      const engine = await mathEngine();
      const q = await engine.quantizeTensor({ data: xs, dims: [POINTS] }, this.format());
      this.curve = { xs, q };
      this.status = '';
      await this.follow(this.x, 'change');
    } catch (e) {
      this.fail(e);
    }
  }

  private format() {
    return { type: this.type, symmetric: this.type === 'int8', rmin: this.min, rmax: this.max };
  }

  private async follow(x: number, kind: 'input' | 'change') {
    const token = ++this.token;
    const engine = await mathEngine();
    const point = await engine.quantizeTensor({ data: Float32Array.of(x), dims: [1] }, this.format());
    if (token !== this.token) return;
    this.x = x;
    this.point = point;
    this.emit(kind);
  }

  render() {
    const v = this.value;
    const span = this.max - this.min;
    return html`
      <h3>Fake quantization and the straight-through estimator</h3>
      ${this.renderState()}
      ${this.shows('x') ? html`<label>x <input type="range" aria-label="x" min=${this.min - 0.3 * span} max=${this.max + 0.3 * span}
        step=${span / 400} .value=${String(this.x)} @input=${(e: Event) => this.follow(num(e), 'input')}
        @change=${(e: Event) => this.follow(num(e), 'change')} /></label>` : nothing}
      ${v ? html`<p class="numbers">x = ${v.x.toFixed(4)} → level <strong id="level">${v.level}</strong> → fake-quantized
        <strong id="fake">${v.fake_quantized.toFixed(5)}</strong> (scale ${v.scale.toPrecision(5)}, zero point ${v.zero_point});
        gradient passed back: <strong id="gradient">${v.gradient}</strong>${v.gradient ? ' (inside the range: as if the rounding were not there)' : ' (clipped: no gradient)'}</p>` : nothing}
      ${this.curve ? html`<qp-chart .config=${this.chart()} label="fake quantization as a function of x, and its straight-through gradient"></qp-chart>` : nothing}`;
  }

  private chart(): ChartConfiguration<'line'> {
    const { xs, q } = this.curve!;
    const lo = (q.qmin - q.params[0].zero_point) * q.params[0].scale, hi = (q.qmax - q.params[0].zero_point) * q.params[0].scale;
    const points = (f: (i: number) => number) => Array.from(xs, (x, i) => ({ x, y: f(i) }));
    return {
      type: 'line',
      data: {
        datasets: [
          { label: 'fake_quant(x)', data: points((i) => q.dequantized[i]), borderColor: themeColor(this, '--qp-quant', '#e0702b'), pointRadius: 0, borderWidth: 2 },
          { label: 'x', data: points((i) => xs[i]), borderColor: themeColor(this, '--qp-muted', '#888'), pointRadius: 0, borderWidth: 1, borderDash: [4, 4] },
          { label: 'STE gradient', data: points((i) => (xs[i] >= lo && xs[i] <= hi ? 1 : 0)), borderColor: themeColor(this, '--qp-float', '#2f7dd1'),
            pointRadius: 0, borderWidth: 1, yAxisID: 'gradient', stepped: true },
        ],
      },
      options: { animation: false, maintainAspectRatio: false, parsing: false,
        scales: { x: { type: 'linear', title: { display: true, text: 'x' } }, y: { title: { display: true, text: 'value' } },
          gradient: { position: 'right', min: -0.1, max: 1.1, title: { display: true, text: 'gradient' } } } },
    };
  }
}

const num = (e: Event) => Number((e.target as HTMLInputElement).value);

customElements.define('qplay-fake-quant', FakeQuantWidget);
