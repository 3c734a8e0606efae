// Renders a model summary (model.info()) as HTML.
const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

const shapeText = (shape) => (shape === null ? 'unknown rank' : `[${shape.join(', ')}]`);

function valueRows(values) {
  return values.map((v) => `<tr><td>${escape(v.name)}</td><td>${escape(v.dtype)}</td><td>${escape(shapeText(v.shape))}</td></tr>`).join('');
}

export function renderSummary(name, info) {
  const ops = Object.entries(info.op_histogram).sort((a, b) => b[1] - a[1]);
  const unsupported = info.unsupported.length
    ? `<p class="warning">Cannot run yet:</p><ul>${info.unsupported.map((u) => `<li>${escape(u)}</li>`).join('')}</ul>`
    : '<p class="ok">Every node can run.</p>';
  return `
    <h2>${escape(name)}</h2>
    <p>${info.node_count} nodes · ${info.parameter_count.toLocaleString()} parameters (${(info.parameter_bytes / 1024).toFixed(1)} KiB)
       · opsets ${escape(Object.entries(info.opsets).map(([d, v]) => `${d} ${v}`).join(', '))}</p>
    <table><caption>Inputs</caption><tr><th>name</th><th>type</th><th>shape</th></tr>${valueRows(info.inputs)}</table>
    <table><caption>Outputs</caption><tr><th>name</th><th>type</th><th>shape</th></tr>${valueRows(info.outputs)}</table>
    <table class="ops"><caption>Operators</caption>${ops.map(([op, n]) => `<tr><td>${escape(op)}</td><td>${n}</td></tr>`).join('')}</table>
    ${unsupported}`;
}
