// <qp-model-panel>: the loaded model's summary and its searchable layer list, each node marked
// with what the chosen recipe does to it; a checkbox keeps a node in float (nodes_to_exclude).
import { LitElement, css, html, nothing } from 'lit';
import type { ConvertOptions, LayerPlan, ModelInfo, ValueInfo } from '../engine/types';
import { kib } from './format';
import { sharedStyles } from './shared-styles';

const shapeText = (v: ValueInfo) => (v.shape ? `[${v.shape.join(', ')}]` : 'unknown rank');

export class ModelPanel extends LitElement {
  static properties = {
    name: {}, info: { attribute: false }, fileBytes: { attribute: false }, layers: { attribute: false },
    exclude: { attribute: false }, filter: { state: true },
  };
  declare name: string;
  declare info: ModelInfo | null;
  declare fileBytes: number;
  declare layers: LayerPlan[];
  declare exclude: string[];
  declare filter: string;

  static styles = [sharedStyles, css`
    .lists { display: flex; flex-wrap: wrap; gap: 0 2rem; align-items: flex-start; }
    .layers { max-height: 22rem; overflow: auto; border: 1px solid var(--qp-border); border-radius: 6px; }
    .layers table { margin: 0; width: 100%; }
    .layers th { position: sticky; top: 0; background: var(--qp-panel); }
    .fate { font-size: 0.8rem; padding: 0 0.4rem; border-radius: 999px; border: 1px solid currentColor; }
    .fate.quantized { color: var(--qp-quant); }
    .fate.float { color: var(--qp-float); }
    .fate.folded { color: var(--qp-muted); }
  `];

  constructor() {
    super();
    this.name = '';
    this.info = null;
    this.fileBytes = 0;
    this.layers = [];
    this.exclude = [];
    this.filter = '';
  }

  render() {
    const info = this.info;
    if (!info) return html`<p class="muted">No model loaded yet.</p>`;
    const ops = Object.entries(info.op_histogram).sort((a, b) => b[1] - a[1]);
    const counts = { quantized: 0, float: 0, folded: 0 };
    for (const l of this.layers) counts[l.fate]++;
    return html`
      <h2 id="model-name">${this.name}</h2>
      <p>${info.node_count} nodes · ${info.parameter_count.toLocaleString()} parameters (${kib(info.parameter_bytes)})
        · file ${kib(this.fileBytes)} · opsets ${Object.entries(info.opsets).map(([d, v]) => `${d} ${v}`).join(', ')}</p>
      ${info.upcast_from ? html`<p id="upcast-note">The file stores ${info.upcast_from}; qplay computes in float32, and the quantized model it writes keeps the file's ${info.upcast_from} inputs and outputs.</p>` : ''}
      ${this.renderConvert(info)}
      <div class="lists">
        <table><caption>Inputs</caption><tr><th>name</th><th>type</th><th>shape</th></tr>
          ${info.inputs.map((v) => html`<tr><td>${v.name}</td><td>${v.dtype}</td><td>${shapeText(v)}</td></tr>`)}</table>
        <table><caption>Outputs</caption><tr><th>name</th><th>type</th><th>shape</th></tr>
          ${info.outputs.map((v) => html`<tr><td>${v.name}</td><td>${v.dtype}</td><td>${shapeText(v)}</td></tr>`)}</table>
        <table class="ops"><caption>Operators</caption>
          ${ops.map(([op, n]) => html`<tr><td>${op}</td><td class="num">${n}</td></tr>`)}</table>
      </div>
      <h3>Layers</h3>
      <p class="muted">${counts.quantized} quantized · ${counts.float} float · ${counts.folded} removed before quantizing (BatchNorm folded into its Conv, constants folded, decomposed ops fused).
        Tick a node to keep it in float.</p>
      <label>Search layers <input type="search" .value=${this.filter} @input=${(e: Event) => (this.filter = (e.target as HTMLInputElement).value)}
        placeholder="name or op type" /></label>
      <div class="layers">${this.renderLayers()}</div>`;
  }

  // The model carried to a newer ai.onnx opset, or rewritten in float16, by the core's converter, downloaded.
  private renderConvert(info: ModelInfo) {
    const current = info.opsets[''] ?? info.opsets['ai.onnx'] ?? 0;
    const request = (detail: ConvertOptions) =>
      this.dispatchEvent(new CustomEvent('convert-request', { detail, bubbles: true, composed: true }));
    const toOpset = () => request({ opset: Number((this.renderRoot.querySelector('#convert-opset') as HTMLInputElement).value) });
    const toFloat16 = () => request({ float16: true, keepIoTypes: (this.renderRoot.querySelector('#keep-io-types') as HTMLInputElement).checked });
    return html`${current && current < 22 ? html`<p class="row"><label>Convert to ai.onnx opset
        <input id="convert-opset" type="number" min=${current + 1} max="22" .value=${String(Math.max(current + 1, 21))} /></label>
        <button id="convert" @click=${toOpset}>Download the converted model</button></p>` : nothing}
      <p class="row"><button id="convert-float16" @click=${toFloat16}
          title="Weights and compute in float16, as onnxconverter-common writes it; TopK, Resize, NonMaxSuppression and quantized ops stay float32 between casts">
          Download a float16 copy</button>
        <label><input id="keep-io-types" type="checkbox" /> keep float32 inputs and outputs</label></p>`;
  }

  private renderLayers() {
    const needle = this.filter.trim().toLowerCase();
    const shown = this.layers.filter((l) => !needle || l.node.toLowerCase().includes(needle) || l.op_type.toLowerCase().includes(needle));
    return html`<table aria-label="layers">
      <tr><th>node</th><th>op</th><th>recipe</th><th>keep float</th></tr>
      ${shown.map((l) => html`<tr>
        <td>${l.node}</td><td>${l.op_type}${l.unit ? html` <span class="muted" title="these nodes compute one ${l.unit}, quantized only at its boundaries">(part of ${l.unit})</span>` : nothing}</td>
        <td><span class="fate ${l.fate}">${l.fate}</span></td>
        <td><input type="checkbox" aria-label=${`keep ${l.node} in float`} .checked=${this.exclude.includes(l.node)}
          ?disabled=${l.fate === 'folded'} @change=${(e: Event) => this.toggle(l.node, (e.target as HTMLInputElement).checked)} /></td>
      </tr>`)}
    </table>`;
  }

  private toggle(node: string, keepFloat: boolean) {
    const exclude = keepFloat ? [...this.exclude, node] : this.exclude.filter((n) => n !== node);
    this.dispatchEvent(new CustomEvent('exclude-change', { detail: exclude, bubbles: true, composed: true }));
  }
}

customElements.define('qp-model-panel', ModelPanel);
