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
    const style = getComputedStyle(this);
    Chart.defaults.color = style.getPropertyValue('--qp-muted').trim() || '#666';
    Chart.defaults.borderColor = style.getPropertyValue('--qp-border').trim() || '#ddd';
    this.chart = new Chart(this.renderRoot.querySelector('canvas')!, this.config);
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
