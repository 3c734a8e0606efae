// <qp-qat-panel>: after a static run, fine-tune with quantization-aware training on the labelled
// calibration samples: epochs, learning rate, optimizer; a live loss and accuracy chart; Stop
// ends after the current epoch and keeps the best one; float / PTQ / QAT side by side; download.
// Fires task-state (detail: running) so the page can hold its other runs meanwhile.
import type { ChartConfiguration } from 'chart.js';
import { LitElement, css, html, nothing } from 'lit';
import type { Engine, EpochReport, QatOptions } from '../engine/types';
import type { RunResults } from '../state/results';
import { themeColor } from './chart-view';
import { download, pct, siblingName } from './format';
import { sharedStyles } from './shared-styles';
import './chart-view';

interface Finished {
  accuracy: number | undefined;
  agreement: number | undefined;
  best: EpochReport;
  bytes: ArrayBuffer;
}

export class QatPanel extends LitElement {
  static properties = {
    engine: { attribute: false }, results: { attribute: false }, disabled: { type: Boolean },
    options: { state: true }, epochs: { state: true }, running: { state: true }, stopping: { state: true },
    finished: { state: true }, error: { state: true },
  };
  declare engine: Engine | null;
  declare results: RunResults | null;
  declare disabled: boolean;
  declare options: QatOptions;
  declare epochs: EpochReport[];
  declare running: boolean;
  declare stopping: boolean;
  declare finished: Finished | null;
  declare error: string;

  static styles = [sharedStyles, css`qp-chart { height: 14rem; }`];

  constructor() {
    super();
    this.engine = this.results = null;
    this.disabled = this.running = this.stopping = false;
    this.options = { epochs: 3, learningRate: 3e-4, optimizer: 'sgd', batchSize: 16, lsq: false, observerSteps: 0 };
    this.epochs = [];
    this.finished = null;
    this.error = '';
  }

  protected willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('results')) {
      this.finished = null;
      this.epochs = [];
    }
  }

  private set<K extends keyof QatOptions>(key: K, value: QatOptions[K]) {
    this.options = { ...this.options, [key]: value };
  }

  private state(running: boolean) {
    this.running = running;
    this.dispatchEvent(new CustomEvent('task-state', { detail: running, bubbles: true, composed: true }));
  }

  private async run() {
    if (!this.engine || !this.results) return;
    this.error = '';
    this.finished = null;
    this.epochs = [];
    this.stopping = false;
    this.state(true);
    try {
      const result = await this.engine.qat(this.results.config, this.options, (_done, _total, report) => {
        this.epochs = [...this.epochs, report as EpochReport];
      });
      const evaluation = await this.engine.evaluate();
      this.finished = { accuracy: evaluation.compare?.accuracy, agreement: evaluation.compare?.agreement, best: result.best, bytes: result.bytes };
    } catch (e) {
      this.error = `Quantization-aware training failed: ${(e as Error).message}`;
    } finally {
      this.state(false);
    }
  }

  private stop() {
    this.stopping = true;
    void this.engine?.stopQat();
  }

  render() {
    const r = this.results;
    if (!r || String(r.config.mode ?? 'static') !== 'static') return nothing;
    const busy = this.disabled || this.running;
    const number = (key: 'epochs' | 'learningRate' | 'batchSize' | 'observerSteps', label: string, step: string) => html`<label>${label}
      <input type="number" aria-label=${label} step=${step} min="0" ?disabled=${busy} .value=${String(this.options[key])}
        @change=${(e: Event) => this.set(key, Number((e.target as HTMLInputElement).value))} /></label>`;
    return html`
      <h3>Fine-tune with quantization-aware training</h3>
      <p class="muted">Trains the model with fake quantization where the recipe quantizes, on the labelled calibration samples,
        measuring the evaluation samples after each epoch; the best epoch is kept. Activation ranges stay as calibrated, or
        follow the batches for the first <em>observer steps</em> and then freeze.</p>
      <div class="row">
        ${number('epochs', 'Epochs', '1')} ${number('learningRate', 'Learning rate', 'any')} ${number('batchSize', 'Batch size', '1')}
        ${number('observerSteps', 'Observer steps', '1')}
        <label>Optimizer <select aria-label="Optimizer" ?disabled=${busy}
          @change=${(e: Event) => this.set('optimizer', (e.target as HTMLSelectElement).value as 'sgd' | 'adam')}>
          <option value="sgd" ?selected=${this.options.optimizer === 'sgd'}>SGD with momentum</option>
          <option value="adam" ?selected=${this.options.optimizer === 'adam'}>Adam</option></select></label>
        <label><input type="checkbox" ?disabled=${busy} .checked=${this.options.lsq}
          @change=${(e: Event) => this.set('lsq', (e.target as HTMLInputElement).checked)} />Learn the activation scales (LSQ)</label>
        <button id="qat-run" class="primary" ?disabled=${busy} @click=${this.run}>Fine-tune</button>
        ${this.running ? html`<label>Epoch <progress id="qat-progress" max=${this.options.epochs} .value=${this.epochs.length}></progress>
          ${this.epochs.length} / ${this.options.epochs}</label>
          <button id="qat-stop" ?disabled=${this.stopping} @click=${this.stop}>${this.stopping ? 'Stopping after this epoch…' : 'Stop after this epoch'}</button>` : nothing}
      </div>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${this.epochs.length ? html`<qp-chart .config=${this.chart()} label="training loss and accuracy per epoch"></qp-chart>` : nothing}
      ${this.finished ? this.renderFinished(r, this.finished) : nothing}`;
  }

  private renderFinished(r: RunResults, f: Finished) {
    return html`
      <table id="qat-table" aria-label="float, post-training and quantization-aware accuracy">
        <tr><th></th><th class="num">float</th><th class="num">PTQ</th><th class="num">QAT (epoch ${f.best.epoch})</th></tr>
        <tr><td>accuracy</td><td class="num">${pct(r.evaluation.accuracy)}</td><td class="num">${pct(r.evaluation.compare?.accuracy)}</td>
          <td class="num" id="qat-accuracy">${pct(f.accuracy)}</td></tr>
        <tr><td>top-1 agreement with float</td><td class="num">100%</td><td class="num">${pct(r.evaluation.compare?.agreement)}</td>
          <td class="num">${pct(f.agreement)}</td></tr>
      </table>
      <button id="qat-download" @click=${() => download(siblingName(r.modelName, '.qat.onnx'), f.bytes, 'application/octet-stream')}>Download QAT .onnx</button>`;
  }

  private chart(): ChartConfiguration<'line'> {
    const labels = this.epochs.map((e) => String(e.epoch));
    return {
      type: 'line',
      data: {
        labels,
        datasets: [
          { label: 'loss', data: this.epochs.map((e) => e.loss), borderColor: themeColor(this, '--qp-quant', '#e0702b'), yAxisID: 'y' },
          { label: 'accuracy', data: this.epochs.map((e) => e.accuracy ?? null), borderColor: themeColor(this, '--qp-float', '#2f7dd1'), yAxisID: 'accuracy' },
        ],
      },
      options: { animation: false, maintainAspectRatio: false,
        scales: { x: { title: { display: true, text: 'epoch' } }, y: { title: { display: true, text: 'loss' } },
          accuracy: { position: 'right', title: { display: true, text: 'accuracy' } } } },
    };
  }
}

customElements.define('qp-qat-panel', QatPanel);
