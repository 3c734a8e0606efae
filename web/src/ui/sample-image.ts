// <qp-sample-image>: one sample's pixels, scaled up without smoothing.
import { LitElement, css, html, type PropertyValues } from 'lit';

export class SampleImage extends LitElement {
  static properties = { image: { attribute: false }, label: {} };
  declare image: ImageData | null;
  declare label: string;

  static styles = css`
    :host { display: inline-block; }
    canvas { width: 100%; height: 100%; image-rendering: pixelated; border-radius: 4px; background: #000; }
  `;

  constructor() {
    super();
    this.image = null;
    this.label = '';
  }

  render() {
    return html`<canvas role="img" aria-label=${this.label}></canvas>`;
  }

  protected updated(_: PropertyValues): void {
    const canvas = this.renderRoot.querySelector('canvas')!;
    if (!this.image) return;
    canvas.width = this.image.width;
    canvas.height = this.image.height;
    canvas.getContext('2d')!.putImageData(this.image, 0, 0);
  }
}

customElements.define('qp-sample-image', SampleImage);
