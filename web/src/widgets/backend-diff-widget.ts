// <qplay-backend-diff>: what each backend preset changes, on the same model: its defaults side
// by side (differences highlighted) and which nodes it quantizes. Attributes: model.
// `value`: { presets: { name: { quantized: count } }, differing_nodes: [names] }.
import { css, html, nothing } from 'lit';
import type { BackendPreset, LayerPlan } from '../engine/types';
import { QplayWidget } from './widget-base';
import { widgetModel } from './widget-model';

const SETTINGS: [string, (d: BackendPreset['defaults']) => unknown][] = [
  ['format', (d) => d.quant_format],
  ['activations', (d) => d.activation_type],
  ['symmetric activations', (d) => d.extra_options.ActivationSymmetric],
  ['weights', (d) => d.weight_type],
  ['symmetric weights', (d) => d.extra_options.WeightSymmetric],
  ['per-channel weights', (d) => d.per_channel],
];

export class BackendDiffWidget extends QplayWidget {
  static properties = { ...QplayWidget.properties, presets: { state: true }, plans: { state: true } };
  declare presets: BackendPreset[];
  declare plans: Record<string, LayerPlan[]>;

  static styles = [...QplayWidget.styles, css`td.differs { font-weight: 700; color: var(--qp-quant, #e0702b); } .scroll { overflow-x: auto; }`];

  constructor() {
    super();
    this.presets = [];
    this.plans = {};
  }

  get value() {
    if (!this.presets.length) return null;
    const presets: Record<string, { quantized: number }> = {};
    for (const p of this.presets) presets[p.name] = { quantized: this.plans[p.name].filter((l) => l.fate === 'quantized').length };
    return { presets, differing_nodes: this.differingNodes() };
  }

  private differingNodes(): string[] {
    const first = this.plans[this.presets[0].name];
    return first.filter((layer, i) => this.presets.some((p) => this.plans[p.name][i].fate !== layer.fate)).map((l) => l.node);
  }

  async connectedCallback() {
    super.connectedCallback();
    await this.settle(async () => {
      const { engine } = await widgetModel(this.model);
      const presets = await engine.backends();
      const plans: Record<string, LayerPlan[]> = {};
      for (const p of presets) plans[p.name] = await engine.layers({ backend: p.name });
      this.plans = plans;
      this.presets = presets;
    });
  }

  render() {
    if (!this.presets.length) return html`<h3>Backend presets</h3>${this.renderState()}`;
    const differing = new Set(this.differingNodes());
    const rows = this.plans[this.presets[0].name].map((l, i) => ({ node: l.node, op: l.op_type, index: i })).filter((r) => differing.has(r.node));
    return html`
      <h3>Backend presets on the same model</h3>
      <div class="scroll"><table aria-label="preset defaults">
        <tr><th></th>${this.presets.map((p) => html`<th>${p.name}</th>`)}</tr>
        ${SETTINGS.map(([label, read]) => {
          const values = this.presets.map((p) => String(read(p.defaults)));
          const differs = new Set(values).size > 1;
          return html`<tr><td>${label}</td>${values.map((v) => html`<td class=${differs ? 'differs' : ''}>${v}</td>`)}</tr>`;
        })}
        <tr><td>nodes quantized</td>${this.presets.map((p) => html`<td>${this.value!.presets[p.name].quantized}</td>`)}</tr>
      </table></div>
      ${rows.length ? html`<h3>Nodes the presets treat differently</h3><div class="scroll"><table aria-label="nodes that differ">
        <tr><th>node</th><th>op</th>${this.presets.map((p) => html`<th>${p.name}</th>`)}</tr>
        ${rows.map((r) => html`<tr><td>${r.node}</td><td>${r.op}</td>${this.presets.map((p) => html`<td>${this.plans[p.name][r.index].fate}</td>`)}</tr>`)}
      </table></div>` : html`<p class="muted">Every preset quantizes the same nodes of this model; they differ in the numbers above.</p>`}
      ${nothing}`;
  }
}

customElements.define('qplay-backend-diff', BackendDiffWidget);
