// <qplay-cle>: cross-layer equalization on a real weight — each output channel's range before
// and after (the same function, rescaled channels), and what that does to one per-tensor int8
// scale. Attributes: model, tensor (default the first convolution weight CLE changes).
// `value`: { tensor, before_sqnr_db, after_sqnr_db }.
import type { ChartConfiguration } from 'chart.js';
import { html, nothing } from 'lit';
import type { QuantizedTensor, TensorData } from '../engine/types';
import { themeColor } from '../ui/chart-view';
import '../ui/chart-view';
import { QplayWidget } from './widget-base';
import { widgetModel, type WidgetModel } from './widget-model';

const CLE = { cross_layer_equalization: true };

function channelRanges(t: TensorData): [number, number][] {
  const channels = t.dims[0], per = t.data.length / channels, v = t.data as Float32Array;
  return Array.from({ length: channels }, (_, c) => {
    let lo = Infinity, hi = -Infinity;
    for (let i = c * per; i < (c + 1) * per; i++) lo = Math.min(lo, v[i]), hi = Math.max(hi, v[i]);
    return [lo, hi];
  });
}

export class CleWidget extends QplayWidget {
  static properties = { ...QplayWidget.properties, tensor: {}, result: { state: true } };
  declare tensor: string;
  declare result: { before: TensorData; after: TensorData; qBefore: QuantizedTensor; qAfter: QuantizedTensor } | null;

  constructor() {
    super();
    this.tensor = '';
    this.result = null;
  }

  get value() {
    const r = this.result;
    return r ? { tensor: this.tensor, before_sqnr_db: r.qBefore.error.sqnr_db, after_sqnr_db: r.qAfter.error.sqnr_db } : null;
  }

  async connectedCallback() {
    super.connectedCallback();
    await this.settle(async () => {
      const source = await widgetModel(this.model);
      const [before, after] = await this.pick(source);
      const format = { type: 'int8' as const, symmetric: true };
      const [qBefore, qAfter] = await Promise.all([source.engine.quantizeTensor(before, format), source.engine.quantizeTensor(after, format)]);
      this.result = { before, after, qBefore, qAfter };
    });
  }

  // The named weight, or the first convolution weight equalization changes: before and after.
  private async pick(source: WidgetModel): Promise<[TensorData, TensorData]> {
    const names = this.tensor ? [this.tensor] : (await source.engine.preparedNodes(CLE)).filter((n) => n.op_type === 'Conv').map((n) => n.inputs[1]);
    for (const name of names) {
      const [before, after] = await Promise.all([source.engine.preparedInitializer({}, name), source.engine.preparedInitializer(CLE, name)]);
      if (this.tensor || before.data.some((v, i) => v !== after.data[i])) {
        this.tensor = name;
        return [before, after];
      }
    }
    throw new Error(`cross-layer equalization changes no convolution weight of ${source.url}`);
  }

  render() {
    const r = this.result;
    const sqnr = (q: QuantizedTensor) => (q.error.sqnr_db === null ? '∞' : `${q.error.sqnr_db.toFixed(2)} dB`);
    return html`
      <h3>Cross-layer equalization of <code>${this.tensor || '…'}</code></h3>
      ${this.renderState()}
      ${r ? html`<p class="numbers">Per-tensor int8 SQNR of this weight: before <strong id="before-sqnr">${sqnr(r.qBefore)}</strong>,
          after <strong id="after-sqnr">${sqnr(r.qAfter)}</strong>.</p>
        <qp-chart .config=${this.chart(r.before, r.after)} label="range of each output channel before and after equalization"></qp-chart>` : nothing}`;
  }

  private chart(before: TensorData, after: TensorData): ChartConfiguration<'bar'> {
    return {
      type: 'bar',
      data: {
        labels: channelRanges(before).map((_, c) => String(c)),
        datasets: [
          { label: 'before', data: channelRanges(before), backgroundColor: themeColor(this, '--qp-float', '#2f7dd1') },
          { label: 'after', data: channelRanges(after), backgroundColor: themeColor(this, '--qp-quant', '#e0702b') },
        ],
      },
      options: { animation: false, maintainAspectRatio: false,
        scales: { x: { title: { display: true, text: 'output channel' } }, y: { title: { display: true, text: 'weight range' } } } },
    };
  }
}

customElements.define('qplay-cle', CleWidget);
