// What every qplay widget shares: the `model` and `hide` attributes, a loading line and an
// inline error, and `input` / `change` events when its `value` changes.
import { LitElement, css, html, nothing } from 'lit';
import { sharedStyles } from '../ui/shared-styles';

export abstract class QplayWidget extends LitElement {
  static properties = { model: {}, hide: {}, status: { state: true }, error: { state: true } };
  declare model: string;
  declare hide: string;
  declare status: string;
  declare error: string;

  static styles = [sharedStyles, css`
    :host { display: block; border: 1px solid var(--qp-border, #d9dce3); border-radius: var(--qp-radius, 8px);
      padding: 0.8rem; background: var(--qp-panel, transparent); font-family: var(--qp-font, system-ui, sans-serif); }
    .numbers { font-variant-numeric: tabular-nums; }
    .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: 0.8rem; }
    qp-chart { height: 14rem; }
    input[type='range'] { width: 12rem; }
  `];

  constructor() {
    super();
    this.model = this.hide = '';
    this.status = 'Loading…';
    this.error = '';
  }

  // Controls named in hide="a,b" are not shown (for teaching pages that fix them).
  protected shows(control: string): boolean {
    return !this.hide.split(',').map((s) => s.trim()).includes(control);
  }

  protected emit(kind: 'input' | 'change'): void {
    this.dispatchEvent(new Event(kind, { bubbles: true, composed: true }));
  }

  // Runs `work`, which stores what it computed, then clears the loading line and fires
  // `change`; an error shows inline instead. `work` returns false when its result is stale.
  protected async settle(work: () => Promise<boolean | void>): Promise<void> {
    try {
      if ((await work()) === false) return;
      this.status = '';
      this.emit('change');
    } catch (e) {
      this.fail(e);
    }
  }

  protected fail(error: unknown): void {
    this.error = error instanceof Error ? error.message : String(error);
    this.status = '';
  }

  protected renderState() {
    if (this.error) return html`<p class="error" role="alert">${this.error}</p>`;
    return this.status ? html`<p class="muted" role="status">${this.status}</p>` : nothing;
  }
}
