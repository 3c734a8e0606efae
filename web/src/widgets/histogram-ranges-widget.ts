// <qplay-histogram-ranges>: an activation's histogram over the model's calibration samples,
// with the range MinMax, moving-average MinMax, percentile, entropy and MSE each pick and the
// share of values each clips. Attributes: model (a bundled example, which brings samples),
// tensor (default the output of the first quantized node), percentile, symmetric, hide
// (percentile,symmetric). `value`: { tensor, methods: { name: { min, max, clipped_fraction } } }.
import type { ChartConfiguration, Plugin } from 'chart.js';
import { html, nothing } from 'lit';
import type { ActivationRanges } from '../engine/types';
import { themeColor } from '../ui/chart-view';
import '../ui/chart-view';
import { QplayWidget } from './widget-base';
import { widgetModel, type WidgetModel } from './widget-model';

const METHOD_COLORS: Record<string, string> = {
  minmax: '#d62728', 'moving-average': '#9467bd', percentile: '#2ca02c', entropy: '#ff7f0e', mse: '#17becf',
};

// Each method's range as a pair of vertical lines over the histogram.
const rangeLines = (r: ActivationRanges): Plugin<'bar'> => ({
  id: 'rangeLines',
  afterDatasetsDraw(chart) {
    const { ctx, chartArea, scales } = chart;
    const { lo, hi } = r.histogram;
    ctx.save();
    ctx.lineWidth = 2;
    for (const [method, choice] of Object.entries(r.methods)) {
      ctx.strokeStyle = METHOD_COLORS[method] ?? '#888';
      for (const v of [choice.min, choice.max]) {
        const x = scales.x.getPixelForDecimal((v - lo) / (hi - lo || 1));
        ctx.beginPath();
        ctx.moveTo(x, chartArea.top);
        ctx.lineTo(x, chartArea.bottom);
        ctx.stroke();
      }
    }
    ctx.restore();
  },
});

export class HistogramRangesWidget extends QplayWidget {
  static properties = { ...QplayWidget.properties, tensor: {}, percentile: { type: Number }, symmetric: { type: Boolean }, ranges: { state: true } };
  declare tensor: string;
  declare percentile: number;
  declare symmetric: boolean;
  declare ranges: ActivationRanges | null;
  private source: WidgetModel | null = null;
  private token = 0;

  constructor() {
    super();
    this.tensor = '';
    this.percentile = 99.99;
    this.symmetric = false;
    this.ranges = null;
  }

  get value() {
    return this.ranges ? { tensor: this.ranges.tensor, methods: this.ranges.methods } : null;
  }

  async connectedCallback() {
    super.connectedCallback();
    try {
      this.source = await widgetModel(this.model);
      if (!this.source.hasSamples) throw new Error(`${this.source.url} has no calibration samples: use a bundled example model`);
      if (!this.tensor) {
        const first = (await this.source.engine.layers({})).find((l) => l.fate === 'quantized');
        if (!first) throw new Error(`no node of ${this.source.url} is quantized`);
        this.tensor = first.outputs[0];
      }
      this.status = 'Running the calibration samples…';
      await this.compute();
    } catch (e) {
      this.fail(e);
    }
  }

  private async compute() {
    if (!this.source) return;
    const source = this.source;
    const token = ++this.token;
    await this.settle(async () => {
      const [ranges] = await source.engine.rangeChoices([this.tensor], { percentile: this.percentile, symmetric: this.symmetric, bins: 128 });
      if (token !== this.token) return false;  // a later setting is being computed
      this.ranges = ranges;
    });
  }

  render() {
    const r = this.ranges;
    return html`
      <h3>Calibration ranges of <code>${this.tensor || '…'}</code></h3>
      ${this.renderState()}
      <div class="row">
        ${this.shows('percentile') ? html`<label>Percentile <input type="number" aria-label="Percentile" min="90" max="100" step="0.001"
          .value=${String(this.percentile)} @change=${(e: Event) => { this.percentile = Number((e.target as HTMLInputElement).value); void this.compute(); }} /></label>` : nothing}
        ${this.shows('symmetric') ? html`<label><input type="checkbox" .checked=${this.symmetric}
          @change=${(e: Event) => { this.symmetric = (e.target as HTMLInputElement).checked; void this.compute(); }} />Symmetric</label>` : nothing}
      </div>
      ${r ? html`<qp-chart .config=${this.chart(r)} label="histogram of the activation with each method's range"></qp-chart>
        <table id="ranges" aria-label="range per calibration method">
          <tr><th>method</th><th class="num">min</th><th class="num">max</th><th class="num">values clipped</th></tr>
          ${Object.entries(r.methods).map(([method, c]) => html`<tr><td><span style="color:${METHOD_COLORS[method]}">■</span> ${method}</td>
            <td class="num">${c.min.toPrecision(4)}</td><td class="num">${c.max.toPrecision(4)}</td>
            <td class="num">${(100 * c.clipped_fraction).toFixed(3)}%</td></tr>`)}
        </table>` : nothing}`;
  }

  private chart(r: ActivationRanges): ChartConfiguration<'bar'> {
    const { lo, hi, counts } = r.histogram;
    const width = (hi - lo) / counts.length;
    return {
      type: 'bar',
      data: {
        labels: counts.map((_, i) => (lo + (i + 0.5) * width).toPrecision(3)),
        datasets: [{ label: 'values', data: counts, backgroundColor: themeColor(this, '--qp-float', '#2f7dd1'), barPercentage: 1, categoryPercentage: 1 }],
      },
      options: { animation: false, maintainAspectRatio: false, plugins: { legend: { display: false } },
        scales: { x: { ticks: { maxTicksLimit: 8 } }, y: { type: 'logarithmic', title: { display: true, text: 'count' } } } },
      plugins: [rangeLines(r)],
    };
  }
}

customElements.define('qplay-histogram-ranges', HistogramRangesWidget);
