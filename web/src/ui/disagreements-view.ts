// <qp-disagreements>: the evaluation samples the float and quantized models classify
// differently, as images (when the samples are images) with both predictions and the label.
import { LitElement, css, html, nothing } from 'lit';
import type { Engine, EvaluationReport } from '../engine/types';
import { tensorToPixels, type Preprocessing } from '../data/preprocessing';
import { sharedStyles } from './shared-styles';
import './sample-image';

const SHOWN = 24;

interface Shown {
  sample: number;
  reference: number;
  test: number;
  image: ImageData | null;
}

export class DisagreementsView extends LitElement {
  static properties = {
    report: { attribute: false }, classNames: { attribute: false }, engine: { attribute: false },
    preprocessing: { attribute: false }, shown: { state: true },
  };
  declare report: EvaluationReport | null;
  declare classNames: string[] | undefined;
  declare engine: Engine | null;
  declare preprocessing: Preprocessing | null;
  declare shown: Shown[];

  static styles = [sharedStyles, css`
    .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(7.5rem, 1fr)); gap: 0.6rem; }
    figure { margin: 0; font-size: 0.8rem; }
    qp-sample-image { width: 72px; height: 72px; }
    .f { color: var(--qp-float); }
    .q { color: var(--qp-quant); }
  `];

  constructor() {
    super();
    this.report = null;
    this.classNames = undefined;
    this.engine = null;
    this.preprocessing = null;
    this.shown = [];
  }

  protected async willUpdate(changed: Map<string, unknown>) {
    if (!changed.has('report')) return;
    const list = this.report?.compare?.disagreements ?? [];
    const report = this.report;
    const shown: Shown[] = [];
    for (const d of list.slice(0, SHOWN)) {
      const sample = this.engine ? await this.engine.sample('evaluation', d.sample).catch(() => null) : null;
      shown.push({ ...d, image: sample && this.preprocessing ? tensorToPixels(sample, this.preprocessing) : null });
    }
    if (report === this.report) this.shown = shown;
  }

  private name(index: number) {
    return this.classNames?.[index] ?? `class ${index}`;
  }

  render() {
    const all = this.report?.compare?.disagreements;
    if (!all) return nothing;
    return html`
      <h3>Samples the two models classify differently</h3>
      <p class="muted" id="disagreement-count">${all.length} of ${this.report!.samples} evaluation samples${all.length > SHOWN ? `; the first ${SHOWN} shown` : ''}.</p>
      <div class="grid">${this.shown.map((s) => html`<figure>
        ${s.image ? html`<qp-sample-image .image=${s.image} label=${`evaluation sample ${s.sample}`}></qp-sample-image>` : nothing}
        <figcaption>#${s.sample}<br /><span class="f">float: ${this.name(s.reference)}</span><br />
          <span class="q">quantized: ${this.name(s.test)}</span></figcaption></figure>`)}</div>`;
  }
}

customElements.define('qp-disagreements', DisagreementsView);
