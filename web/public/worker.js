// Hosts the wasm module off the main thread. Messages: { id, type, ...args } in,
// { id, ok, result | error } out. Model bytes arrive transferred, not copied.
importScripts('qplay.js');

const ready = createQplay();
let model = null;

const handlers = {
  async load({ bytes }) {
    const qp = await ready;
    const next = qp.loadModel(new Uint8Array(bytes)); // throws: the previous model stays loaded
    if (model) model.delete();
    model = next;
    return model.info();
  },
  async run({ inputs }) {
    if (!model) throw new Error('no model is loaded');
    return model.run(inputs);
  },
};

self.onmessage = async ({ data }) => {
  const { id, type, ...args } = data;
  try {
    const result = await handlers[type](args);
    self.postMessage({ id, ok: true, result });
  } catch (error) {
    self.postMessage({ id, ok: false, error: error && error.message ? error.message : String(error) });
  }
};
