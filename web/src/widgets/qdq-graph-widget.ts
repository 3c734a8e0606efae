// <qplay-qdq-graph>: the first nodes of a model three ways — as the quantizer prepares it
// (float, BatchNorm folded into Conv), written in the QDQ format (QuantizeLinear /
// DequantizeLinear around float ops), and in the QOperator format (integer operators).
// Attributes: model (a bundled example: quantizing needs its samples), nodes (how many float
// nodes to follow, default 4). `value`: { float, qdq, qoperator } as lists of op types.
import { css, html, nothing } from 'lit';
import type { GraphNode } from '../engine/types';
import { QplayWidget } from './widget-base';
import { widgetModel } from './widget-model';

type Column = { title: string; nodes: GraphNode[] };

// The quantized graph's nodes up to the one written for the float node `last` (same name, or
// the name with a suffix such as _quant), and the QuantizeLinear / DequantizeLinear right after
// it that read what came before.
function prefixThrough(nodes: GraphNode[], last: string): GraphNode[] {
  let end = -1;
  nodes.forEach((n, i) => { if (n.name === last || n.name.startsWith(`${last}_`)) end = i; });
  if (end < 0) return nodes;
  const produced = new Set(nodes.slice(0, end + 1).flatMap((n) => n.outputs));
  while (end + 1 < nodes.length && /^(Quantize|Dequantize)Linear$/.test(nodes[end + 1].op_type) && produced.has(nodes[end + 1].inputs[0])) {
    end++;
    nodes[end].outputs.forEach((o) => produced.add(o));
  }
  return nodes.slice(0, end + 1);
}

export class QdqGraphWidget extends QplayWidget {
  static properties = { ...QplayWidget.properties, nodes: { type: Number }, columns: { state: true } };
  declare nodes: number;
  declare columns: Column[];

  static styles = [...QplayWidget.styles, css`
    .graphs { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 0.8rem; }
    ol { list-style: none; padding: 0; margin: 0; }
    li { border: 1px solid var(--qp-border, #d9dce3); border-radius: 6px; padding: 0.2rem 0.5rem; margin: 0 0 0.9rem; position: relative; font-size: 0.85rem; }
    li:not(:last-child)::after { content: '↓'; position: absolute; left: 50%; bottom: -1.05rem; color: var(--qp-muted, #5b6170); }
    li.q { border-color: var(--qp-quant, #e0702b); color: var(--qp-quant, #e0702b); }
    li.int { background: color-mix(in srgb, var(--qp-quant, #e0702b) 15%, transparent); }
  `];

  constructor() {
    super();
    this.nodes = 4;
    this.columns = [];
  }

  get value() {
    if (this.columns.length < 3) return null;
    const ops = (c: Column) => c.nodes.map((n) => n.op_type);
    return { float: ops(this.columns[0]), qdq: ops(this.columns[1]), qoperator: ops(this.columns[2]) };
  }

  async connectedCallback() {
    super.connectedCallback();
    await this.settle(async () => {
      const { engine, hasSamples, url } = await widgetModel(this.model);
      if (!hasSamples) throw new Error(`${url} has no calibration samples: use a bundled example model`);
      const float = (await engine.preparedNodes({})).slice(0, this.nodes);
      const last = float[float.length - 1].name;
      const columns: Column[] = [{ title: 'float (prepared)', nodes: float }];
      for (const [title, format] of [['QDQ', 'QDQ'], ['QOperator', 'QOperator']]) {
        this.status = `Quantizing (${title})…`;
        await engine.quantize({ quant_format: format, calibration_limit: 50 });
        columns.push({ title, nodes: prefixThrough(await engine.nodes('quantized'), last) });
      }
      this.columns = columns;
    });
  }

  render() {
    const kind = (n: GraphNode) => (/^(Quantize|Dequantize)Linear$/.test(n.op_type) ? 'q' : /^(QLinear|QGemm|Q[A-Z])/.test(n.op_type) ? 'int' : '');
    return html`
      <h3>One graph, three ways</h3>
      ${this.renderState()}
      ${this.columns.length ? html`<div class="graphs">${this.columns.map((c) => html`<section aria-label=${c.title}>
        <h3>${c.title}</h3>
        <ol>${c.nodes.map((n) => html`<li class=${kind(n)} title=${n.name}>${n.domain ? `${n.domain}.` : ''}${n.op_type}</li>`)}</ol>
      </section>`)}</div>` : nothing}`;
  }
}

customElements.define('qplay-qdq-graph', QdqGraphWidget);
