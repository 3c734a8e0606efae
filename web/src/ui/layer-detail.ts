// <qp-layer-detail>: one tensor's float and dequantized values on the same bins, the range
// its quantization can represent drawn over them, and for weights each channel's range.
import type { ChartConfiguration } from 'chart.js';
import { LitElement, css, html, nothing } from 'lit';
import type { TensorError } from '../engine/types';
import { themeColor } from './chart-view';
import { histogramChartConfig } from './histogram-chart';
import { sharedStyles } from './shared-styles';

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
        ${t.histogram ? html`<qp-chart .config=${histogramChartConfig(this, t.histogram, t.histogram.clip_range ? 'values (dashed: the range the quantized type can represent)' : 'values')}
          label=${`histogram of ${t.tensor}: float and dequantized values`}></qp-chart>` : nothing}
        ${t.channel_ranges ? html`<qp-chart .config=${this.channelConfig(t.channel_ranges)}
          label=${`range of each output channel of ${t.tensor}`}></qp-chart>` : nothing}
      </div>`;
  }

  private keepFloat() {
    this.dispatchEvent(new CustomEvent('keep-float', { detail: this.tensor!.node, bubbles: true, composed: true }));
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
