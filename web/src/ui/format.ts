// How the panels write numbers, and how they hand a file to the person.
export const pct = (v: number | undefined | null) => (v === undefined || v === null ? '—' : `${(100 * v).toFixed(1)}%`);
export const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
// Milliseconds to two decimals, or two significant digits below 1 ms (a small model's run).
export const ms = (v: number) => `${v < 1 ? v.toPrecision(2) : v.toFixed(2)} ms`;
// a / b as "1.23x", or "—" unless both are positive and finite (a time that read 0 ms, say).
export const ratio = (a: number, b: number) =>
  (a > 0 && b > 0 && Number.isFinite(a) && Number.isFinite(b) ? `${(a / b).toFixed(2)}x` : '—');

export function download(name: string, data: BlobPart, type: string) {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// "cnn.onnx" → "cnn.qat.onnx"
export const siblingName = (modelName: string, suffix: string) => modelName.replace(/\.onnx$/i, '') + suffix;
