// The worker: hosts the wasm module and one CoreEngine; answers Requests with Replies.
import { CoreEngine } from './core-engine';
import type { CreateQplay } from './qplay-module';
import { transferablesOf, type Reply, type Request } from './protocol';

declare function importScripts(...urls: string[]): void;
declare const createQplay: CreateQplay;

let engine: Promise<CoreEngine> | null = null;
const reply = (message: Reply, transfer: ArrayBuffer[] = []) => self.postMessage(message, { transfer });

self.onmessage = async ({ data }: MessageEvent<Request>) => {
  const { id } = data;
  try {
    if ('init' in data) {
      importScripts(data.init);
      // qplay.wasm sits beside qplay.js, not beside this script; so does the threaded build's
      // pthread worker script, which loads the module's script from its address.
      engine = createQplay({ locateFile: (file) => new URL(file, data.init).href, mainScriptUrlOrBlob: data.init })
        .then((qp) => new CoreEngine(qp));
      await engine;
      reply({ id, ok: true, result: null });
      return;
    }
    if (!engine) throw new Error('the engine is not started');
    const core = await engine;
    const progress = (done: number, total: number, detail?: unknown) => reply({ id, progress: [done, total], detail });
    const method = core[data.method] as (...args: unknown[]) => Promise<unknown>;
    const result = await method.apply(core, [...data.args, progress]);
    reply({ id, ok: true, result }, transferablesOf(result));
  } catch (error) {
    const fatal = error instanceof WebAssembly.RuntimeError && !('init' in data);
    reply({ id, ok: false, error: error instanceof Error ? error.message : String(error), fatal });
  }
};
