// Promise API over the worker that hosts the wasm module.
export class Engine {
  constructor(workerUrl = 'worker.js') {
    this.worker = new Worker(workerUrl);
    this.pending = new Map();
    this.nextId = 1;
    this.worker.onmessage = ({ data }) => {
      const { resolve, reject } = this.pending.get(data.id);
      this.pending.delete(data.id);
      if (data.ok) resolve(data.result);
      else reject(new Error(data.error));
    };
  }

  call(type, args = {}, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, type, ...args }, transfer);
    });
  }

  // `bytes` is an ArrayBuffer; it is transferred to the worker.
  loadModel(bytes) {
    return this.call('load', { bytes }, [bytes]);
  }
}
