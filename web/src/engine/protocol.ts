// Messages between WorkerEngine (page) and the worker hosting CoreEngine.
import type { Engine } from './types';

export type Method = keyof Engine;

export type Request =
  | { id: number; init: string }  // the URL of qplay.js
  | { id: number; method: Method; args: unknown[] };

export type Reply =
  | { id: number; progress: [number, number]; detail?: unknown }
  | { id: number; ok: true; result: unknown }
  // fatal: the wasm instance aborted (out of memory, say) and the worker must be replaced.
  | { id: number; ok: false; error: string; fatal: boolean };

// The buffers inside a value that can move to the other thread instead of being copied.
export function transferablesOf(value: unknown): ArrayBuffer[] {
  if (value instanceof ArrayBuffer) return [value];
  if (ArrayBuffer.isView(value)) return value.buffer instanceof ArrayBuffer ? [value.buffer] : [];
  if (Array.isArray(value)) return value.flatMap(transferablesOf);
  if (value && typeof value === 'object') return [...new Set(Object.values(value).flatMap(transferablesOf))];
  return [];
}
