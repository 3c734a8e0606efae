// <qp-layer-detail>: one tensor's float and dequantized values on the same bins, the range
// its quantization can represent drawn over them, and for weights each channel's range.
import type { ChartConfiguration, Plugin } from 'chart.js';
import { LitElement, css, html, nothing } from 'lit';
import type { Histogram, TensorError } from '../engine/types';
import { themeColor } from './chart-view';
import { sharedStyles } from './shared-styles';

// Vertical lines at values of the histogram's range (the clip range), on the category axis.
const clipLines = (histogram: Histogram, color: string): Plugin<'bar' | 'line'> => ({
  id: 'clipLines',
  afterDatasetsDraw(chart) {
    if (!histogram.clip_range) return;
    const { ctx, chartArea, scales } = chart;
    ctx.save();
    ctx.strokeStyle = color;
    ctx.setLineDash([5, 4]);
    for (const v of histogram.clip_range) {
      const x = scales.x.getPixelForDecimal((v - histogram.lo) / (histogram.hi - histogram.lo));
      ctx.beginPath();
      ctx.moveTo(x, chartArea.top);
      ctx.lineTo(x, chartArea.bottom);
      ctx.stroke();
    }
    ctx.restore();
  },
});

export class LayerDetail extends LitElement {
  static properties = { tensor: { attribute: false }, kind: {}, disabled: { type: Boolean } };
  declare tensor: TensorError | null;
  declare kind: 'activation' | 'weight';
  declare disabled: boolean;

  static styles = [sharedStyles, css`.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1rem; }`];

  constructor() {
    super();
    this.tensor = null;
    this.kind = 'activation';
    this.disabled = false;
  }

  render() {
    const t = this.tensor;
    if (!t) return nothing;
    const clipped = t.clipped_fraction !== undefined ? `${(100 * t.clipped_fraction).toFixed(3)}% of values clipped` : '';
    return html`
      <h3 id="layer-detail-title">${t.tensor}</h3>
      <p class="muted">${this.kind} of node ${t.node} (${t.op_type}) · SQNR ${t.sqnr_db.toFixed(1)} dB · cosine ${t.cosine.toFixed(5)}
        · MSE ${t.mse.toExponential(2)} · largest error ${t.max_abs.toPrecision(3)}${clipped ? ` · ${clipped}` : ''}</p>
      <button @click=${this.keepFloat} ?disabled=${this.disabled || t.node === '(input)'}>Keep ${t.node} in float and re-run</button>
      <div class="charts">
        ${t.histogram ? html`<qp-chart .config=${this.histogramConfig(t.histogram)}
          label=${`histogram of ${t.tensor}: float and dequantized values`}></qp-chart>` : nothing}
        ${t.channel_ranges ? html`<qp-chart .config=${this.channelConfig(t.channel_ranges)}
          label=${`range of each output channel of ${t.tensor}`}></qp-chart>` : nothing}
      </div>`;
  }

  private keepFloat() {
    this.dispatchEvent(new CustomEvent('keep-float', { detail: this.tensor!.node, bubbles: true, composed: true }));
  }

  private histogramConfig(h: Histogram): ChartConfiguration<'bar' | 'line'> {
    const width = (h.hi - h.lo) / h.float.length;
    const labels = h.float.map((_, i) => (h.lo + (i + 0.5) * width).toPrecision(3));
    return {
      type: 'bar',
      data: {
        labels,
        datasets: [
          { type: 'bar', label: 'float', data: h.float, backgroundColor: themeColor(this, '--qp-float'), barPercentage: 1, categoryPercentage: 1, grouped: false },
          { type: 'line', label: 'dequantized', data: h.dequantized, borderColor: themeColor(this, '--qp-quant'), borderWidth: 2, stepped: 'middle', pointRadius: 0 },
        ],
      },
      options: {
        animation: false, maintainAspectRatio: false,
        plugins: { title: { display: true, text: h.clip_range ? `values (dashed: the range int8/uint8 can represent)` : 'values' } },
        scales: { x: { ticks: { maxTicksLimit: 8 } }, y: { type: 'logarithmic', title: { display: true, text: 'count' } } },
      },
      plugins: [clipLines(h, themeColor(this, '--qp-text'))],
    };
  }

  private channelConfig(ranges: [number, number][]): ChartConfiguration<'bar'> {
    return {
      type: 'bar',
      data: {
        labels: ranges.map((_, i) => String(i)),
        datasets: [{ label: 'float range per output channel', data: ranges, backgroundColor: themeColor(this, '--qp-float') }],
      },
      options: { animation: false, maintainAspectRatio: false, scales: { x: { title: { display: true, text: 'channel' } } } },
    };
  }
}

customElements.define('qp-layer-detail', LayerDetail);
