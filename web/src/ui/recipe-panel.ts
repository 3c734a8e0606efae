// <qp-recipe-panel>: every recipe choice as a labelled control. Shows each key's effective
// value (the person's choice, else the preset's); emits recipe-change with the new recipe.
import { LitElement, css, html, nothing } from 'lit';
import type { BackendPreset } from '../engine/types';
import { RECIPE_KEYS, effective, type Recipe, type RecipeKey } from '../state/recipe';
import { sharedStyles } from './shared-styles';

// Choosing another preset drops these choices so the preset's own apply.
const PRESET_KEYS: RecipeKey[] = ['format', 'perChannel', 'activationType', 'weightType', 'activationSymmetric', 'weightSymmetric'];

const METHODS: [string, string][] = [
  ['minmax', 'MinMax'], ['moving-average', 'Moving-average MinMax'], ['percentile', 'Percentile'], ['entropy', 'Entropy (KL)'], ['mse', 'MSE'],
];

export class RecipePanel extends LitElement {
  static properties = { recipe: { attribute: false }, presets: { attribute: false }, disabled: { type: Boolean } };
  declare recipe: Recipe;
  declare presets: BackendPreset[];
  declare disabled: boolean;

  static styles = [sharedStyles, css`
    .chips { display: flex; flex-wrap: wrap; gap: 0.3rem; }
    .chip { border: 1px solid var(--qp-border); border-radius: 999px; padding: 0 0.2rem 0 0.6rem; font-size: 0.85rem; }
    .chip button { border: none; padding: 0 0.4rem; background: none; }
  `];

  constructor() {
    super();
    this.recipe = {};
    this.presets = [];
    this.disabled = false;
  }

  private value(key: RecipeKey): unknown {
    return effective(this.recipe, key, this.presets);
  }

  private set(changes: Recipe) {
    const recipe = { ...this.recipe, ...changes };
    for (const key of Object.keys(changes) as RecipeKey[]) {
      if (changes[key] === undefined) delete recipe[key];
      else if (RECIPE_KEYS[key].kind === 'number') recipe[key] = Number(changes[key]);
    }
    this.dispatchEvent(new CustomEvent('recipe-change', { detail: recipe, bubbles: true, composed: true }));
  }

  private select(key: RecipeKey, label: string, options: [string, string][]) {
    return html`<label>${label}
      <select aria-label=${label} ?disabled=${this.disabled} .value=${String(this.value(key))} @change=${(e: Event) => this.set({ [key]: (e.target as HTMLSelectElement).value })}>
        ${options.map(([value, text]) => html`<option value=${value} ?selected=${value === String(this.value(key))}>${text}</option>`)}
      </select></label>`;
  }

  private check(key: RecipeKey, label: string) {
    return html`<label><input type="checkbox" ?disabled=${this.disabled} .checked=${Boolean(this.value(key))}
      @change=${(e: Event) => this.set({ [key]: (e.target as HTMLInputElement).checked })} />${label}</label>`;
  }

  private number(key: RecipeKey, label: string, min: number, max: number, step: number) {
    return html`<label>${label}<input type="number" aria-label=${label} min=${min} max=${max} step=${step} ?disabled=${this.disabled}
      .value=${String(this.value(key) ?? '')} @change=${(e: Event) => {
        const v = Number((e.target as HTMLInputElement).value);
        if (Number.isFinite(v)) this.set({ [key]: v });
      }} /></label>`;
  }

  render() {
    const backend = String(this.value('backend'));
    const mode = String(this.value('mode'));
    const preset = this.presets.find((p) => p.name === backend);
    const exclude = (this.value('exclude') as string[]) ?? [];
    return html`
      <h2>Recipe</h2>
      <div class="row">
        <label>Backend preset
          <select ?disabled=${this.disabled} @change=${(e: Event) => this.choosePreset((e.target as HTMLSelectElement).value)}>
            ${this.presets.map((p) => html`<option value=${p.name} ?selected=${p.name === backend}>${p.name}</option>`)}
          </select></label>
        ${this.select('mode', 'Mode', [['static', 'Static (calibrated)'], ['dynamic', 'Dynamic'], ['weight_only', 'Weight-only']])}
      </div>
      ${preset ? html`<p class="muted">${preset.description}</p>` : nothing}
      ${mode === 'static' ? this.renderStatic() : nothing}
      ${mode === 'weight_only' ? this.renderWeightOnly() : this.renderWeights()}
      <fieldset><legend>Transforms before quantizing</legend>
        ${this.check('cle', 'Cross-layer equalization')}
        ${mode === 'static' ? this.check('biasCorrection', 'Bias correction') : nothing}
        ${mode === 'static' ? this.check('smoothQuant', 'SmoothQuant') : nothing}
        ${mode === 'static' && this.value('smoothQuant') ? this.number('smoothQuantAlpha', 'alpha', 0, 1, 0.05) : nothing}
      </fieldset>
      <fieldset><legend>Kept in float</legend>
        ${exclude.length
          ? html`<div class="chips">${exclude.map((n) => html`<span class="chip">${n}<button ?disabled=${this.disabled}
              aria-label=${`quantize ${n} again`} @click=${() => this.set({ exclude: exclude.filter((x) => x !== n) })}>×</button></span>`)}</div>`
          : html`<p class="muted">No node excluded. Tick layers in the list, or keep the worst layer in float from the results.</p>`}
      </fieldset>
      <button ?disabled=${this.disabled} @click=${() => this.dispatchEvent(new CustomEvent('recipe-change', { detail: {}, bubbles: true, composed: true }))}>
        Reset to the preset's defaults</button>`;
  }

  private renderStatic() {
    const method = String(this.value('method'));
    return html`
      <fieldset><legend>Activations</legend>
        ${this.select('format', 'Format', [['QDQ', 'QDQ'], ['QOperator', 'QOperator']])}
        ${this.select('activationType', 'Type', [['uint8', 'uint8'], ['int8', 'int8'], ['uint16', 'uint16 (opset 21)'], ['int16', 'int16 (opset 21)']])}
        ${this.check('activationSymmetric', 'Symmetric')}
        <div class="row">
          ${this.select('method', 'Calibration', METHODS)}
          ${method === 'percentile' ? this.number('percentile', 'Percentile', 90, 100, 0.001) : nothing}
          ${this.number('calibrationLimit', 'Calibration samples (0 = all)', 0, 100000, 1)}
        </div>
      </fieldset>`;
  }

  private renderWeights() {
    // 4-bit weights are opset 21 DequantizeLinear inputs of a static QDQ model.
    const fourBit: [string, string][] = this.value('mode') === 'static' && this.value('format') === 'QDQ'
      ? [['int4', 'int4 (opset 21)'], ['uint4', 'uint4 (opset 21)']] : [];
    return html`
      <fieldset><legend>Weights</legend>
        ${this.select('weightType', 'Type', [['int8', 'int8'], ['uint8', 'uint8'], ...fourBit])}
        ${this.check('perChannel', 'Per channel')}
        ${this.check('weightSymmetric', 'Symmetric')}
        ${this.check('reduceRange', 'Reduce range (7 bits)')}
      </fieldset>`;
  }

  private renderWeightOnly() {
    // 4 bits, and 8 bits in the QOperator format, are written as MatMulNBits blocks.
    const blocks = Number(this.value('weightBits')) === 4 || this.value('format') === 'QOperator';
    return html`
      <fieldset><legend>Weights (MatMul)</legend>
        ${this.select('weightBits', 'Bits', [['8', '8'], ['4', '4 (blocks, MatMulNBits)']])}
        ${this.select('format', 'Format', [['QDQ', 'QDQ (8 bits per channel)'], ['QOperator', 'QOperator (MatMulNBits blocks)']])}
        ${blocks ? this.select('blockSize', 'Block', [['32', '32'], ['64', '64'], ['128', '128']]) : nothing}
        ${blocks ? this.select('accuracyLevel', 'Activations computed in', [['0', 'float (accuracy level 0)'], ['4', 'int8 (accuracy level 4)']]) : nothing}
        ${this.check('weightSymmetric', 'Symmetric')}
      </fieldset>`;
  }

  private choosePreset(name: string) {
    const changes: Recipe = { backend: name };
    for (const key of PRESET_KEYS) changes[key] = undefined;
    this.set(changes);
  }
}

customElements.define('qp-recipe-panel', RecipePanel);
