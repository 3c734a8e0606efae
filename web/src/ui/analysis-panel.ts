// <qp-analysis-panel>: after a static run, the analyzer's heavier answers, one at a time in the
// worker with progress and Cancel. "Meet a target" ranks every node by how much error it
// brings (the output with only it quantized, with only it float) and keeps the most sensitive
// out of int8 (float, or int16 activations) until an accuracy, agreement or SQNR target holds
// on the evaluation samples; that model downloads, or its float nodes go into the recipe.
// "Analysis report" saves the analyzer's whole versioned report (docs/analysis-report.md).
// Fires task-state (detail: running) so the page holds its other runs meanwhile, and
// exclude-nodes (detail: node names) to keep nodes float in the recipe and run it again.
import { LitElement, css, html, nothing } from 'lit';
import { CancelledError } from '../engine/worker-engine';
import type { Engine, FallbackOutcome, FallbackTarget } from '../engine/types';
import type { RunResults } from '../state/results';
import { download, kib, pct, siblingName } from './format';
import { sharedStyles } from './shared-styles';

type TargetKind = 'accuracy' | 'agreement' | 'sqnr';

const TARGET_DEFAULTS: Record<TargetKind, number> = { accuracy: 0.5, agreement: 99, sqnr: 30 };

function targetFor(kind: TargetKind, value: number, keepAs: FallbackTarget['keepAs']): FallbackTarget {
  if (kind === 'accuracy') return { maxAccuracyDrop: value, keepAs };
  if (kind === 'agreement') return { minAgreement: value / 100, keepAs };
  return { minSqnrDb: value, keepAs };
}

const db = (v: number | null) => (v === null ? '∞' : `${v.toFixed(1)} dB`);

interface Task {
  phase: string;
  done: number;
  total: number;
}

export class AnalysisPanel extends LitElement {
  static properties = {
    engine: { attribute: false }, results: { attribute: false }, disabled: { type: Boolean },
    kind: { state: true }, value: { state: true }, keepAs: { state: true },
    task: { state: true }, outcome: { state: true }, message: { state: true }, error: { state: true },
  };
  declare engine: (Engine & { cancel(): void }) | null;
  declare results: RunResults | null;
  declare disabled: boolean;
  declare kind: TargetKind;
  declare value: number;
  declare keepAs: FallbackTarget['keepAs'];
  declare task: Task | null;
  declare outcome: FallbackOutcome | null;
  declare message: string;
  declare error: string;

  static styles = [sharedStyles, css`
    tr.kept td { font-weight: 600; }
    .table-scroll { max-height: 22rem; overflow: auto; }
  `];

  constructor() {
    super();
    this.engine = this.results = null;
    this.disabled = false;
    this.kind = 'accuracy';
    this.value = TARGET_DEFAULTS.accuracy;
    this.keepAs = 'float';
    this.task = this.outcome = null;
    this.message = this.error = '';
  }

  protected willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('results')) {
      this.outcome = null;
      this.message = this.error = '';
    }
  }

  private pickKind(kind: TargetKind) {
    this.kind = kind;
    this.value = TARGET_DEFAULTS[kind];
  }

  // Runs one engine call as the panel's task: progress, Cancel, errors, task-state around it.
  private async runTask<T>(phase: string, call: (progress: (done: number, total: number) => void) => Promise<T>): Promise<T | null> {
    this.error = this.message = '';
    this.task = { phase, done: 0, total: 1 };
    this.dispatchEvent(new CustomEvent('task-state', { detail: true, bubbles: true, composed: true }));
    try {
      return await call((done, total) => (this.task = { phase, done, total }));
    } catch (e) {
      this.error = e instanceof CancelledError ? 'Cancelled. The model, samples and results are as they were.' : `${phase} failed: ${(e as Error).message}`;
      return null;
    } finally {
      this.task = null;
      this.dispatchEvent(new CustomEvent('task-state', { detail: false, bubbles: true, composed: true }));
    }
  }

  private async findFallback() {
    if (!this.engine || !this.results) return;
    const { engine, results } = this;
    this.outcome = null;
    this.outcome = await this.runTask('Ranking the nodes and searching for the target',
      (progress) => engine.fallback(results.config, targetFor(this.kind, this.value, this.keepAs), progress));
  }

  private async downloadReport() {
    if (!this.engine || !this.results) return;
    const { engine, results } = this;
    const report = await this.runTask('Writing the analysis report', (progress) => engine.report(progress));
    if (!report) return;
    download(siblingName(results.modelName, '.analysis.json'), JSON.stringify(report, null, 2), 'application/json');
    this.message = `Saved the analysis report (format ${report.format}, version ${report.version}, ${report.samples} samples).`;
  }

  render() {
    const r = this.results;
    if (!r || String(r.config.mode ?? 'static') !== 'static') return nothing;
    const busy = this.disabled || this.task !== null;
    const labelled = r.evaluation.accuracy !== undefined;
    const valueLabel = { accuracy: labelled ? 'Largest accuracy drop (points)' : 'Largest agreement drop (points)',
      agreement: 'Smallest top-1 agreement with float (%)', sqnr: 'Smallest output SQNR (dB)' }[this.kind];
    return html`
      <h3>Meet a target by keeping the most sensitive nodes out of int8</h3>
      <p class="muted">Quantizes the model once per node with only that node quantized and once with only that node float, ranks the
        nodes, then keeps the most sensitive ones out of int8, one at a time, until the target holds on the
        ${r.evaluation.samples} evaluation samples${labelled ? '' : ' (no labels: accuracy is measured as agreement with float)'}.</p>
      <div class="row">
        <label>Target <select id="fallback-kind" aria-label="Target" ?disabled=${busy}
          @change=${(e: Event) => this.pickKind((e.target as HTMLSelectElement).value as TargetKind)}>
          <option value="accuracy" ?selected=${this.kind === 'accuracy'}>${labelled ? 'accuracy drop' : 'agreement drop'}</option>
          <option value="agreement" ?selected=${this.kind === 'agreement'}>top-1 agreement</option>
          <option value="sqnr" ?selected=${this.kind === 'sqnr'}>output SQNR</option></select></label>
        <label>${valueLabel} <input id="fallback-value" type="number" aria-label=${valueLabel} step="any" min="0" ?disabled=${busy}
          .value=${String(this.value)} @change=${(e: Event) => (this.value = Number((e.target as HTMLInputElement).value))} /></label>
        <label>Keep them <select id="fallback-keep-as" aria-label="Keep them" ?disabled=${busy}
          @change=${(e: Event) => (this.keepAs = (e.target as HTMLSelectElement).value as FallbackTarget['keepAs'])}>
          <option value="float" ?selected=${this.keepAs === 'float'}>in float</option>
          <option value="int16" ?selected=${this.keepAs === 'int16'}>in int16 activations</option></select></label>
        <button id="fallback-run" class="primary" ?disabled=${busy} @click=${this.findFallback}>Find the nodes</button>
      </div>
      ${this.task ? html`<div class="row">
        <label>${this.task.phase} <progress id="analysis-progress" max=${this.task.total} .value=${this.task.done}></progress>
          ${this.task.done} / ${this.task.total}</label>
        <button id="analysis-cancel" @click=${() => this.engine?.cancel()}>Cancel</button></div>` : nothing}
      ${this.error ? html`<p class="error" role="alert" id="analysis-error">${this.error}</p>` : nothing}
      ${this.message ? html`<p class="ok" role="status">${this.message}</p>` : nothing}
      ${this.outcome ? this.renderOutcome(r, this.outcome, busy) : nothing}
      <h3>The whole analysis as JSON</h3>
      <div class="row">
        <span class="muted">The evaluation, every quantized tensor's error with per-channel weight statistics, the range each
          calibration method would choose, both sizes and both per-op profiles, for the last quantized model.</span>
        <button id="analysis-report" ?disabled=${busy} @click=${this.downloadReport}>Download the analysis report</button>
      </div>`;
  }

  private renderOutcome(r: RunResults, o: FallbackOutcome, busy: boolean) {
    const f = o.fallback, e = f.evaluation, kept = new Set(f.kept_nodes);
    const where = f.kept_as === 'float' ? 'float' : 'in int16 activations';
    const summary = f.kept_nodes.length === 0
      ? 'Every node in int8 already meets the target.'
      : `${f.met ? 'Meets the target' : 'Does not meet the target even'} with ${f.kept_nodes.length} node${f.kept_nodes.length > 1 ? 's' : ''} kept ${where}.`;
    return html`
      <p id="fallback-summary" class=${f.met ? 'ok' : 'error'}>${summary}</p>
      <table id="fallback-table" aria-label="float, all int8 and with the nodes kept">
        <tr><th></th><th class="num">float</th><th class="num">all int8</th><th class="num">nodes kept ${where}</th></tr>
        ${e.accuracy !== undefined ? html`<tr><td>accuracy</td><td class="num">${pct(e.accuracy)}</td>
          <td class="num">${pct(r.evaluation.compare?.accuracy)}</td><td class="num" id="fallback-accuracy">${pct(e.compare?.accuracy)}</td></tr>` : nothing}
        <tr><td>top-1 agreement with float</td><td class="num">100%</td><td class="num">${pct(o.agreement_all)}</td>
          <td class="num" id="fallback-agreement">${pct(e.compare?.agreement)}</td></tr>
        <tr><td>output SQNR</td><td class="num">—</td><td class="num">${db(o.all.sqnr_db)}</td>
          <td class="num">${db(Object.values(e.compare?.outputs ?? {})[0]?.sqnr_db ?? null)}</td></tr>
        <tr><td>model size</td><td class="num">${kib(f.size_bytes.float)}</td><td class="num">${kib(r.quantizedBytes)}</td>
          <td class="num">${kib(f.size_bytes.quantized)}</td></tr>
      </table>
      <div class="row">
        <button id="fallback-download" @click=${() => download(siblingName(r.modelName, '.fallback.onnx'), o.bytes, 'application/octet-stream')}>
          Download this model</button>
        ${f.kept_as === 'float' && f.kept_nodes.length ? html`<button id="fallback-apply" ?disabled=${busy}
          @click=${() => this.dispatchEvent(new CustomEvent('exclude-nodes', { detail: [...f.kept_nodes, ...this.fusedWith(o, f.kept_nodes)], bubbles: true, composed: true }))}>
          Keep these float in the recipe and run it</button>` : nothing}
      </div>
      <div class="table-scroll"><table id="sensitivity-table" aria-label="nodes, most sensitive first">
        <caption>Nodes, most sensitive first (output SQNR against float; kept nodes in bold)</caption>
        <tr><th>node</th><th>op</th><th class="num">only it int8</th><th class="num">only it float</th>
          <th class="num">agreement, only it float</th></tr>
        ${o.nodes.map((n) => html`<tr class=${kept.has(n.node) ? 'kept' : ''}>
          <td title=${n.fused.length ? `with ${n.fused.join(', ')}` : ''}>${n.node}</td><td>${n.op_type}</td>
          <td class="num">${db(n.alone.sqnr_db)}</td><td class="num">${db(n.all_but.sqnr_db)}</td><td class="num">${pct(n.agreement_all_but)}</td></tr>`)}
      </table></div>`;
  }

  // A node kept float takes the Relu fused into it along, as the search did.
  private fusedWith(o: FallbackOutcome, kept: string[]): string[] {
    return o.nodes.filter((n) => kept.includes(n.node)).flatMap((n) => n.fused);
  }
}

customElements.define('qp-analysis-panel', AnalysisPanel);
