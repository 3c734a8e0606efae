// <qplay-per-channel>: one real convolution weight quantized per tensor and per output
// channel, and the error of each channel under both. Attributes: model, tensor (default the
// first conv weight), type (int8 | uint8), scheme (symmetric | asymmetric), hide (type,scheme).
// `value`: { tensor, per_tensor_sqnr_db, per_channel_sqnr_db, channels: [{ per_tensor, per_channel }] }.
import type { ChartConfiguration } from 'chart.js';
import { html, nothing } from 'lit';
import type { QuantizedTensor, TensorData } from '../engine/types';
import { themeColor } from '../ui/chart-view';
import '../ui/chart-view';
import { QplayWidget } from './widget-base';
import { widgetWeight, type WidgetModel } from './widget-model';

const sqnrText = (v: number | null) => (v === null ? '∞' : `${v.toFixed(2)} dB`);

export class PerChannelWidget extends QplayWidget {
  static properties = { ...QplayWidget.properties, tensor: {}, type: {}, scheme: {}, results: { state: true } };
  declare tensor: string;
  declare type: 'int8' | 'uint8';
  declare scheme: 'symmetric' | 'asymmetric';
  declare results: { perTensor: QuantizedTensor; perChannel: QuantizedTensor } | null;
  private source: WidgetModel | null = null;
  private data: TensorData | null = null;

  constructor() {
    super();
    this.tensor = '';
    this.type = 'int8';
    this.scheme = 'symmetric';
    this.results = null;
  }

  get value() {
    const r = this.results;
    if (!r) return null;
    return {
      tensor: this.tensor,
      per_tensor_sqnr_db: r.perTensor.error.sqnr_db,
      per_channel_sqnr_db: r.perChannel.error.sqnr_db,
      channels: r.perTensor.channel_errors!.map((e, c) => ({ per_tensor: e.sqnr_db, per_channel: r.perChannel.channel_errors![c].sqnr_db })),
    };
  }

  async connectedCallback() {
    super.connectedCallback();
    try {
      const weight = await widgetWeight(this.model, this.tensor);
      [this.source, this.tensor, this.data] = [weight.source, weight.name, weight.data];
      this.status = '';
      await this.compute();
    } catch (e) {
      this.fail(e);
    }
  }

  private async compute() {
    if (!this.source || !this.data) return;
    const { source, data } = this;
    const format = { type: this.type, symmetric: this.scheme === 'symmetric', errorAxis: 0 };
    await this.settle(async () => {
      const [perTensor, perChannel] = await Promise.all([
        source.engine.quantizeTensor(data, format), source.engine.quantizeTensor(data, { ...format, axis: 0 }),
      ]);
      this.results = { perTensor, perChannel };
    });
  }

  render() {
    const r = this.results;
    return html`
      <h3>Per tensor or per channel: <code>${this.tensor || '…'}</code></h3>
      ${this.renderState()}
      <div class="row">
        ${this.shows('type') ? html`<label>Type <select aria-label="Type" @change=${(e: Event) => { this.type = (e.target as HTMLSelectElement).value as 'int8'; void this.compute(); }}>
          ${['int8', 'uint8'].map((t) => html`<option ?selected=${t === this.type}>${t}</option>`)}</select></label>` : nothing}
        ${this.shows('scheme') ? html`<label>Scheme <select aria-label="Scheme" @change=${(e: Event) => { this.scheme = (e.target as HTMLSelectElement).value as 'symmetric'; void this.compute(); }}>
          ${['symmetric', 'asymmetric'].map((s) => html`<option ?selected=${s === this.scheme}>${s}</option>`)}</select></label>` : nothing}
      </div>
      ${r ? html`<p class="numbers">Whole tensor SQNR: per tensor <strong id="per-tensor-sqnr">${sqnrText(r.perTensor.error.sqnr_db)}</strong>,
          per channel <strong id="per-channel-sqnr">${sqnrText(r.perChannel.error.sqnr_db)}</strong>
          (${r.perChannel.params.length} channels, one scale each instead of one for all).</p>
        <qp-chart .config=${this.chart(r)} label="SQNR of each output channel, per tensor and per channel"></qp-chart>` : nothing}`;
  }

  private chart(r: { perTensor: QuantizedTensor; perChannel: QuantizedTensor }): ChartConfiguration<'bar'> {
    const sqnr = (q: QuantizedTensor) => q.channel_errors!.map((e) => e.sqnr_db ?? 100);
    return {
      type: 'bar',
      data: {
        labels: r.perTensor.channel_errors!.map((_, c) => String(c)),
        datasets: [
          { label: 'one scale for the tensor', data: sqnr(r.perTensor), backgroundColor: themeColor(this, '--qp-float', '#2f7dd1') },
          { label: 'a scale per channel', data: sqnr(r.perChannel), backgroundColor: themeColor(this, '--qp-quant', '#e0702b') },
        ],
      },
      options: { animation: false, maintainAspectRatio: false,
        scales: { x: { title: { display: true, text: 'output channel' } }, y: { title: { display: true, text: 'SQNR (dB)' } } } },
    };
  }
}

customElements.define('qplay-per-channel', PerChannelWidget);
