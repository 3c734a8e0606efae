// <qp-theme-switch>: follows the system theme until the person picks light or dark.
import { LitElement, html } from 'lit';
import { sharedStyles } from './shared-styles';

type Theme = 'system' | 'light' | 'dark';
const KEY = 'qplay-theme';

export class ThemeSwitch extends LitElement {
  static properties = { theme: { state: true } };
  declare theme: Theme;
  static styles = sharedStyles;

  constructor() {
    super();
    this.theme = (localStorage.getItem(KEY) as Theme | null) ?? 'system';
    this.apply();
  }

  render() {
    return html`<label>Theme <select id="theme" aria-label="Theme" @change=${(e: Event) => this.choose((e.target as HTMLSelectElement).value as Theme)}>
      ${(['system', 'light', 'dark'] as Theme[]).map((t) => html`<option value=${t} ?selected=${t === this.theme}>${t}</option>`)}
    </select></label>`;
  }

  private choose(theme: Theme) {
    this.theme = theme;
    localStorage.setItem(KEY, theme);
    this.apply();
  }

  private apply() {
    if (this.theme === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = this.theme;
  }
}

customElements.define('qp-theme-switch', ThemeSwitch);
