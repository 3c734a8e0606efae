// <qplay-playground>: the whole flow — model, samples, recipe, run, results — over one
// WorkerEngine. Owns the page state; the panels show it and report what the person changes.
// With `sync-url` (the playground page) the recipe and ?model= live in the page's URL and files
// dropped anywhere on the page are taken, and ?hide=header,model,samples,recipe,run,results
// hides parts (for an iframe on a site that cannot run scripts); embedded elsewhere it keeps
// to itself: the `model` and `hide` attributes say the same, and drops count only on the element.
import { LitElement, css, html, nothing } from 'lit';
import { qplayFile, qplayModuleFile } from '../engine/base-url';
import { CancelledError, WorkerEngine } from '../engine/worker-engine';
import type { BackendPreset, ConvertOptions, LayerPlan, ModelInfo } from '../engine/types';
import { filesFromDrop, isModelFile, isSampleFile } from '../data/load-samples';
import type { Preprocessing } from '../data/preprocessing';
import { EXAMPLES, exampleInfo, exampleSamples, fetchBytes, referenceNumbers } from '../state/examples';
import { recipeFromUrl, recipeToUrl, toConfig, type Recipe } from '../state/recipe';
import type { ReferenceNumbers, RunResults } from '../state/results';
import type { SampleSets, SamplesPanel } from './samples-panel';
import { download, siblingName } from './format';
import { sharedStyles } from './shared-styles';
import './analysis-panel';
import './model-panel';
import './qat-panel';
import './recipe-panel';
import './results-panel';
import './samples-panel';
import './theme-switch';

// The other files chosen or dropped with a model (not samples), by name: its external data
// files, when it has any.
async function externalFilesBeside(model: File, files: File[]): Promise<Record<string, ArrayBuffer>> {
  const others = files.filter((f) => f !== model && !isSampleFile(f));
  return Object.fromEntries(await Promise.all(others.map(async (f) => [f.name, await f.arrayBuffer()] as const)));
}

interface Progress {
  phase: string;
  done: number;
  total: number;
}

export class Playground extends LitElement {
  static properties = {
    syncUrl: { type: Boolean, attribute: 'sync-url' }, model: {}, hide: {},
    modelName: { state: true }, info: { state: true }, fileBytes: { state: true }, layers: { state: true }, modelError: { state: true },
    modelStatus: { state: true }, presets: { state: true }, recipe: { state: true }, preprocessing: { state: true },
    classNames: { state: true }, reference: { state: true }, haveSamples: { state: true }, progress: { state: true },
    runError: { state: true }, results: { state: true }, taskRunning: { state: true },
  };
  declare syncUrl: boolean;
  declare model: string;
  declare hide: string;
  declare modelName: string;
  declare info: ModelInfo | null;
  declare fileBytes: number;
  declare layers: LayerPlan[];
  declare modelError: string;
  declare modelStatus: string;
  declare presets: BackendPreset[];
  declare recipe: Recipe;
  declare preprocessing: Preprocessing;
  declare classNames: string[] | undefined;
  declare reference: ReferenceNumbers | null;
  declare haveSamples: boolean;
  declare progress: Progress | null;
  declare runError: string;
  declare results: RunResults | null;
  declare taskRunning: boolean;  // a panel's own run: QAT, the fallback search, the analysis report
  private samplesBundled = false;
  private readonly engine = new WorkerEngine(qplayModuleFile());

  static styles = [sharedStyles, css`
    :host { max-width: 72rem; margin: 0 auto; padding: 1rem; }
    header { display: flex; justify-content: space-between; align-items: baseline; gap: 1rem; flex-wrap: wrap; }
    h1 { margin: 0; font-size: 1.5rem; }
    section[hidden] { display: none; }
    section { background: var(--qp-panel); border: 1px solid var(--qp-border); border-radius: var(--qp-radius); padding: 1rem; margin: 1rem 0; }
    .columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(24rem, 1fr)); gap: 0 1rem; }
    progress { width: 20rem; max-width: 100%; }
  `];

  constructor() {
    super();
    this.modelName = this.modelError = this.modelStatus = this.runError = '';
    this.info = null;
    this.fileBytes = 0;
    this.layers = [];
    this.presets = [];
    this.syncUrl = false;
    this.model = this.hide = '';
    this.recipe = {};
    this.preprocessing = { width: 28, height: 28, color: 'grayscale', scale: 1 / 255, mean: [0], std: [1], layout: 'NCHW' };
    this.classNames = undefined;
    this.reference = null;
    this.haveSamples = false;
    this.progress = null;
    this.results = null;
    this.taskRunning = false;
  }

  connectedCallback(): void {
    super.connectedCallback();
    const target: EventTarget = this.syncUrl ? document : this;
    target.addEventListener('dragover', (e) => e.preventDefault());
    target.addEventListener('drop', (e) => this.drop(e as DragEvent));
    void this.start();
  }

  private async start() {
    if (this.syncUrl) {
      this.recipe = recipeFromUrl(location.search);
      this.hide = new URLSearchParams(location.search).get('hide') ?? '';
    }
    this.presets = await this.engine.backends();
    const requested = this.syncUrl ? new URLSearchParams(location.search).get('model') : this.model;
    await this.openUrl(requested || qplayFile('examples/cnn.onnx'));
  }

  private samplesPanel(): SamplesPanel {
    return this.renderRoot.querySelector('qp-samples-panel')!;
  }

  // A model on this site (a bundled example or ?model=); an example brings its samples.
  private async openUrl(url: string) {
    try {
      this.modelStatus = `Fetching ${url}…`;
      const bytes = await fetchBytes(url);
      if (!(await this.openModel(url.split('/').pop()!, bytes))) return;
      const example = await exampleInfo(url);
      this.reference = example ? await referenceNumbers(url) : null;
      if (example) {
        this.preprocessing = example.preprocessing;
        this.classNames = example.classes;
        await this.updateComplete;
        this.samplesPanel().showSets(await exampleSamples(url, example, this.engine));
      }
    } catch (e) {
      this.modelError = (e as Error).message;
      this.modelStatus = '';
    }
  }

  // externalFiles: the other files picked or dropped with the model, which may hold its external data.
  private async openModel(name: string, bytes: ArrayBuffer, externalFiles: Record<string, ArrayBuffer> = {}): Promise<boolean> {
    this.modelStatus = `Loading ${name}…`;
    const size = bytes.byteLength + Object.values(externalFiles).reduce((sum, f) => sum + f.byteLength, 0);
    try {
      this.info = await this.engine.loadModel(bytes, externalFiles);
    } catch (e) {
      this.modelError = `Could not load ${name}: ${(e as Error).message}`;
      this.modelStatus = this.info ? `${this.modelName} is still loaded.` : '';
      return false;
    }
    this.modelName = name;
    this.fileBytes = size;
    this.modelError = '';
    this.modelStatus = `Loaded ${name}.`;
    this.results = null;
    this.reference = null;
    await this.planLayers();
    return true;
  }

  private async convert(options: ConvertOptions) {
    const target = options.float16 ? 'float16' : `opset ${options.opset}`;
    this.modelStatus = `Converting ${this.modelName} to ${target}…`;
    try {
      const suffix = options.float16 ? '.fp16.onnx' : `.opset${options.opset}.onnx`;
      download(siblingName(this.modelName, suffix), await this.engine.convert(options), 'application/octet-stream');
      this.modelError = '';
      this.modelStatus = `Converted ${this.modelName} to ${target}.`;
    } catch (e) {
      this.modelError = `Could not convert ${this.modelName}: ${(e as Error).message}`;
      this.modelStatus = `${this.modelName} is still loaded.`;
    }
  }

  private async planLayers() {
    try {
      this.layers = await this.engine.layers(toConfig(this.recipe));
    } catch (e) {
      this.layers = [];
      this.runError = `The recipe does not apply to ${this.modelName}: ${(e as Error).message}`;
    }
  }

  private async drop(event: DragEvent) {
    event.preventDefault();
    if (!event.dataTransfer || this.progress) return;
    const files = await filesFromDrop(event.dataTransfer);
    const model = files.find(isModelFile);
    if (model) await this.openModel(model.name, await model.arrayBuffer(), await externalFilesBeside(model, files));
    else if (files.some(isSampleFile)) await this.samplesPanel().loadFiles(files);
    else if (files.length) this.modelError = `Could not use ${files.map((f) => f.name).join(', ')}: drop an .onnx model, images, or a .npy/.npz/.csv file`;
  }

  private async pickModel(e: Event) {
    const input = e.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = '';
    const model = files.find(isModelFile) ?? files[0];
    if (model) await this.openModel(model.name, await model.arrayBuffer(), await externalFilesBeside(model, files));
  }

  private async setSamples(e: CustomEvent<SampleSets>) {
    const { calibration, evaluation } = e.detail;
    try {
      await this.engine.setSamples('calibration', calibration.data, calibration.labels);
      await this.engine.setSamples('evaluation', evaluation.data, evaluation.labels);
      if (evaluation.classNames) this.classNames = evaluation.classNames;
      this.haveSamples = true;
      this.samplesBundled = !!e.detail.bundled;
      this.runError = '';
    } catch (err) {
      this.runError = `Could not use the samples: ${(err as Error).message}`;
    }
  }

  private setRecipe(recipe: Recipe) {
    this.recipe = recipe;
    if (this.syncUrl) history.replaceState(null, '', `${location.pathname}${recipeToUrl(recipe, location.search)}`);
    this.runError = '';
    void this.planLayers();
  }

  private async run() {
    const config = toConfig(this.recipe);
    // Each update is also an event, for pages that embed the playground (and for the tests).
    const step = (phase: string) => (done: number, total: number) => {
      this.progress = { phase, done, total };
      this.dispatchEvent(new CustomEvent('qplay-progress', { detail: this.progress, bubbles: true, composed: true }));
    };
    this.runError = '';
    try {
      step('Calibrating and quantizing')(0, 1);
      const quantized = await this.engine.quantize(config, step('Calibrating and quantizing'));
      step('Evaluating float and quantized')(0, 1);
      const evaluation = await this.engine.evaluate(step('Evaluating float and quantized'));
      step('Comparing layer by layer')(0, 1);
      let analysis = null, analysisNote = '';
      try {
        analysis = await this.engine.analyze(step('Comparing layer by layer'));
      } catch (e) {
        if (e instanceof CancelledError) throw e;
        analysisNote = `No per-layer comparison for this recipe: ${(e as Error).message}`;
      }
      step('Timing both models in this browser')(0, 1);
      const latency = await this.engine.latency();
      this.results = {
        modelName: this.modelName, config, evaluation, analysis, analysisNote, latency,
        floatBytes: this.fileBytes, quantizedBytes: quantized.bytes.byteLength, quantizedModel: quantized.bytes, notes: quantized.notes,
        reference: this.samplesBundled ? this.reference : null,
      };
    } catch (e) {
      this.runError = e instanceof CancelledError ? 'Cancelled. The model, samples and recipe are as they were.' : `The run failed: ${(e as Error).message}`;
    } finally {
      this.progress = null;
    }
  }

  private keepFloat(nodes: string[]) {
    const exclude = [...new Set([...((this.recipe.exclude as string[] | undefined) ?? []), ...nodes])];
    this.setRecipe({ ...this.recipe, exclude });
    void this.run();
  }

  private shows(part: string): boolean {
    return !this.hide.split(',').map((s) => s.trim()).includes(part);
  }

  render() {
    const running = this.progress !== null || this.taskRunning;
    const canRun = !!this.info && this.haveSamples && !running;
    return html`
      ${this.shows('header') ? html`<header>
        <div><h1>qplay</h1><p class="muted">Quantize an ONNX model in your browser: nothing leaves this page.</p></div>
        <div class="row"><a href=${qplayFile('docs/01-why.html')}>The guide to quantization</a><qp-theme-switch></qp-theme-switch></div>
      </header>` : nothing}
      <section aria-labelledby="model-heading" ?hidden=${!this.shows('model')}>
        <h2 id="model-heading">Model</h2>
        <div class="row">
          <label>Open an ONNX model <input id="model-file" type="file" multiple ?disabled=${running} @change=${this.pickModel}
            title="An .onnx file, with its external data files if it has any" /></label>
          <span class="muted">or drop one anywhere on the page, or open an example:</span>
          ${EXAMPLES.map((ex) => html`<button ?disabled=${running} title=${ex.title} @click=${() => this.openUrl(qplayFile(`examples/${ex.file}`))}>${ex.file}</button>`)}
        </div>
        <p role="status" class="muted" id="model-status">${this.modelStatus}</p>
        ${this.modelError ? html`<p class="error" role="alert" id="model-error">${this.modelError}</p>` : nothing}
        <qp-model-panel .name=${this.modelName} .info=${this.info} .fileBytes=${this.fileBytes} .layers=${this.layers}
          .exclude=${(this.recipe.exclude as string[] | undefined) ?? []}
          @exclude-change=${(e: CustomEvent<string[]>) => this.setRecipe({ ...this.recipe, exclude: e.detail })}
          @convert-request=${(e: CustomEvent<ConvertOptions>) => this.convert(e.detail)}></qp-model-panel>
      </section>
      <div class="columns">
        <section ?hidden=${!this.shows('samples')}><qp-samples-panel .engine=${this.engine} .preprocessing=${this.preprocessing} .classNames=${this.classNames}
          .input=${this.info?.inputs.length === 1 ? this.info.inputs[0] : null} ?disabled=${running}
          @samples-change=${this.setSamples}></qp-samples-panel></section>
        <section ?hidden=${!this.shows('recipe')}><qp-recipe-panel .recipe=${this.recipe} .presets=${this.presets} ?disabled=${running}
          @recipe-change=${(e: CustomEvent<Recipe>) => this.setRecipe(e.detail)}></qp-recipe-panel></section>
      </div>
      <section aria-labelledby="run-heading" ?hidden=${!this.shows('run')}>
        <h2 id="run-heading">Run</h2>
        <div class="row">
          <button class="primary" id="run" ?disabled=${!canRun} @click=${this.run}>Quantize and compare</button>
          ${this.progress ? html`
            <label>${this.progress.phase}
              <progress id="progress" max=${this.progress.total} .value=${this.progress.done}></progress>
              ${this.progress.done} / ${this.progress.total}</label>
            <button id="cancel" @click=${() => this.engine.cancel()}>Cancel</button>` : nothing}
        </div>
        ${!this.haveSamples ? html`<p class="muted">Load samples to calibrate and evaluate with.</p>` : nothing}
        ${this.runError ? html`<p class="error" role="alert" id="run-error">${this.runError}</p>` : nothing}
      </section>
      <section ?hidden=${!this.shows('results')}><qp-results .results=${this.results} .classNames=${this.classNames}
        .engine=${this.engine} .preprocessing=${this.preprocessing} ?disabled=${running}
        @keep-float=${(e: CustomEvent<string>) => this.keepFloat([e.detail])}></qp-results>
        <qp-analysis-panel .engine=${this.engine} .results=${this.results} ?disabled=${running}
          @task-state=${(e: CustomEvent<boolean>) => (this.taskRunning = e.detail)}
          @exclude-nodes=${(e: CustomEvent<string[]>) => this.keepFloat(e.detail)}></qp-analysis-panel>
        <qp-qat-panel .engine=${this.engine} .results=${this.results} ?disabled=${running}
          @task-state=${(e: CustomEvent<boolean>) => (this.taskRunning = e.detail)}></qp-qat-panel></section>`;
  }
}

customElements.define('qplay-playground', Playground);
