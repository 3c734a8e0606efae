// <qp-results>: float vs quantized in one table (with PyTorch's numbers for the bundled
// examples), size and latency in this browser, the per-layer error chart (click a bar for its
// histograms), the samples the two models classify differently, and the downloads.
import type { ChartConfiguration } from 'chart.js';
import { LitElement, css, html, nothing } from 'lit';
import type { Engine, TensorError } from '../engine/types';
import type { Preprocessing } from '../data/preprocessing';
import { reportJson, type RunResults } from '../state/results';
import { themeColor } from './chart-view';
import { download, kib, ms, pct, ratio, siblingName } from './format';
import { sharedStyles } from './shared-styles';
import './chart-view';
import './disagreements-view';
import './layer-detail';

const LAYERS_SHOWN = 40;

export class ResultsPanel extends LitElement {
  static properties = {
    results: { attribute: false }, classNames: { attribute: false },
    preprocessing: { attribute: false }, engine: { attribute: false }, disabled: { type: Boolean },
    kind: { state: true }, selected: { state: true },
  };
  declare results: RunResults | null;
  declare classNames: string[] | undefined;
  declare preprocessing: Preprocessing | null;
  declare engine: Engine | null;
  declare disabled: boolean;
  declare kind: 'activation' | 'weight';
  declare selected: TensorError | null;

  static styles = [sharedStyles, css`
    .layer-chart { height: 22rem; }
    .better { color: var(--qp-good); }
    .worse { color: var(--qp-bad); }
    #quantization-notes li.warning strong { color: var(--qp-bad); }
  `];

  constructor() {
    super();
    this.results = null;
    this.classNames = undefined;
    this.preprocessing = this.engine = null;
    this.disabled = false;
    this.kind = 'activation';
    this.selected = null;
  }

  protected willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('results')) this.selected = null;
  }

  render() {
    const r = this.results;
    if (!r) return html`<h2>Results</h2><p class="muted">Run the recipe to compare the float and quantized models.</p>`;
    return html`
      <h2>Results</h2>
      ${this.renderMetrics(r)}
      ${this.renderNotes(r)}
      <div class="row">
        <button class="primary" id="download-model" @click=${() => download(siblingName(r.modelName, '.quant.onnx'), r.quantizedModel, 'application/octet-stream')}>
          Download quantized .onnx</button>
        <button id="download-report" @click=${() => download(siblingName(r.modelName, '.report.json'), reportJson(r), 'application/json')}>
          Download JSON report</button>
      </div>
      ${this.renderLayers(r)}
      <qp-disagreements .report=${r.evaluation} .classNames=${this.classNames} .engine=${this.engine}
        .preprocessing=${this.preprocessing}></qp-disagreements>`;
  }

  private renderMetrics(r: RunResults) {
    const e = r.evaluation, c = e.compare;
    const engines = r.reference ? Object.entries(r.reference.engines) : [];
    const mode = String(r.config.mode ?? 'static') === 'dynamic' ? 'dynamic' : 'static';
    const speedup = r.latency ? r.latency.float_ms / r.latency.quantized_ms : NaN;
    return html`
      <table id="metrics" aria-label="float and quantized metrics">
        <tr><th></th><th class="num">float</th><th class="num">quantized</th>
          ${engines.map(([name]) => html`<th class="num">PyTorch ${name} (${mode})</th>`)}</tr>
        <tr><td>accuracy (${e.samples} samples)</td><td class="num" id="float-accuracy">${pct(e.accuracy)}</td>
          <td class="num" id="quantized-accuracy">${pct(c?.accuracy)}</td>
          ${engines.map(([, v]) => html`<td class="num">${pct(v[mode])}</td>`)}</tr>
        <tr><td>top-1 agreement with float</td><td class="num">100%</td><td class="num" id="agreement">${pct(c?.agreement)}</td></tr>
        ${Object.entries(c?.outputs ?? {}).map(([name, m]) => html`
          <tr><td>output ${name}: SQNR / cosine</td><td class="num">—</td>
            <td class="num">${m.sqnr_db.toFixed(1)} dB / ${m.cosine.toFixed(4)}</td></tr>`)}
        <tr><td>model size</td><td class="num">${kib(r.floatBytes)}</td>
          <td class="num">${kib(r.quantizedBytes)} (${ratio(r.floatBytes, r.quantizedBytes)} smaller)</td></tr>
        ${r.latency ? html`<tr><td>latency, batch ${r.latency.batch}, this browser</td><td class="num">${ms(r.latency.float_ms)}</td>
          <td class="num">${ms(r.latency.quantized_ms)}
            <span class=${speedup >= 1 ? 'better' : 'worse'}>(${ratio(r.latency.float_ms, r.latency.quantized_ms)})</span></td></tr>` : nothing}
      </table>`;
  }

  private renderNotes(r: RunResults) {
    if (!r.notes.length) return nothing;
    return html`
      <h3>What the quantizer adjusted or found</h3>
      <ul id="quantization-notes">
        ${r.notes.map((n) => html`<li class=${n.kind}>${n.kind === 'warning' ? html`<strong>warning:</strong> ` : nothing}<code>${n.tensor}</code>${n.node ? html` (node <code>${n.node}</code>)` : nothing}: ${n.message}</li>`)}
      </ul>`;
  }

  private renderLayers(r: RunResults) {
    if (!r.analysis) return html`<h3>Error by layer</h3><p class="muted">${r.analysisNote}</p>`;
    const list = this.kind === 'activation' ? r.analysis.activations : r.analysis.weights;
    const shown = list.slice(0, LAYERS_SHOWN);
    return html`
      <h3>Error by layer, worst first</h3>
      <p class="muted">SQNR of each quantized ${this.kind} against the float model's over ${r.analysis.samples} evaluation samples
        (higher is better). Click a bar for its histograms.</p>
      <div class="row" role="radiogroup" aria-label="tensors to rank">
        <label><input type="radio" name="kind" .checked=${this.kind === 'activation'} @change=${() => this.pickKind('activation')} />activations (${r.analysis.activations.length})</label>
        <label><input type="radio" name="kind" .checked=${this.kind === 'weight'} @change=${() => this.pickKind('weight')} />weights (${r.analysis.weights.length})</label>
        <label>Layer <select id="layer-select" aria-label="layer to inspect" @change=${(e: Event) => (this.selected = list[Number((e.target as HTMLSelectElement).value)])}>
          <option value="">choose…</option>
          ${list.map((t, i) => html`<option value=${i} ?selected=${t === this.selected}>${t.tensor} — ${t.sqnr_db.toFixed(1)} dB</option>`)}
        </select></label>
      </div>
      <qp-chart class="layer-chart" .config=${this.layerChart(shown)} label="SQNR per layer, worst first"></qp-chart>
      <qp-layer-detail .tensor=${this.selected} .kind=${this.kind} ?disabled=${this.disabled}></qp-layer-detail>`;
  }

  private pickKind(kind: 'activation' | 'weight') {
    this.kind = kind;
    this.selected = null;
  }

  private layerChart(list: TensorError[]): ChartConfiguration<'bar'> {
    return {
      type: 'bar',
      data: {
        labels: list.map((t) => t.tensor.length > 48 ? `…${t.tensor.slice(-46)}` : t.tensor),
        datasets: [{ label: 'SQNR (dB)', data: list.map((t) => t.sqnr_db), backgroundColor: themeColor(this, '--qp-quant') }],
      },
      options: {
        indexAxis: 'y', animation: false, maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: { x: { title: { display: true, text: 'SQNR (dB)' } } },
        onClick: (_event, elements) => {
          if (elements.length) this.selected = list[elements[0].index];
        },
      },
    };
  }
}

customElements.define('qp-results', ResultsPanel);
