// <qp-chart>: a Chart.js chart whose configuration is a property; colors follow the theme.
import { Chart, registerables, type ChartConfiguration } from 'chart.js';
import { LitElement, css, html, type PropertyValues } from 'lit';

Chart.register(...registerables);

export class ChartView extends LitElement {
  static properties = { config: { attribute: false }, label: {} };
  declare config: ChartConfiguration | null;
  declare label: string;
  private chart: Chart | null = null;

  static styles = css`
    :host { display: block; position: relative; min-height: 12rem; }
    canvas { width: 100% !important; }
  `;

  constructor() {
    super();
    this.config = null;
    this.label = '';
  }

  render() {
    return html`<canvas role="img" aria-label=${this.label}></canvas>`;
  }

  protected updated(changed: PropertyValues): void {
    if (!changed.has('config')) return;
    this.chart?.destroy();
    this.chart = null;
    if (!this.config) return;
    // Each chart gets its own copy of the options with the theme's colors written into every
    // scale (Chart.js keeps what it resolved in the options it was given).
    const style = getComputedStyle(this);
    const text = style.getPropertyValue('--qp-muted').trim() || '#666', lines = style.getPropertyValue('--qp-border').trim() || '#ddd';
    Chart.defaults.color = text;
    Chart.defaults.borderColor = lines;
    const given = (this.config.options?.scales ?? {}) as Record<string, { grid?: object; ticks?: object }>;
    const scales: Record<string, object> = {};
    for (const id of new Set([...Object.keys(given), 'x', 'y']))
      scales[id] = { ...given[id], grid: { ...given[id]?.grid, color: lines }, ticks: { ...given[id]?.ticks, color: text } };
    const config = { ...this.config, options: { ...this.config.options, scales } } as ChartConfiguration;
    this.chart = new Chart(this.renderRoot.querySelector('canvas')!, config);
  }

  // The theme's colors are read when the chart is drawn: redraw when the theme changes (on the
  // next frame, once the new theme's styles apply).
  private readonly redraw = () => requestAnimationFrame(() => this.requestUpdate('config', null));
  private readonly schemeQuery = matchMedia('(prefers-color-scheme: dark)');
  private readonly themeObserver = new MutationObserver(this.redraw);

  connectedCallback(): void {
    super.connectedCallback();
    this.schemeQuery.addEventListener('change', this.redraw);
    this.themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.schemeQuery.removeEventListener('change', this.redraw);
    this.themeObserver.disconnect();
    this.chart?.destroy();
    this.chart = null;
  }
}

customElements.define('qp-chart', ChartView);

// A theme color by custom property name, for chart datasets.
export const themeColor = (element: Element, name: string, fallback = '#888') =>
  getComputedStyle(element).getPropertyValue(name).trim() || fallback;
