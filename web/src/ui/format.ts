// How the panels write numbers, and how they hand a file to the person.
export const pct = (v: number | undefined | null) => (v === undefined || v === null ? '—' : `${(100 * v).toFixed(1)}%`);
export const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

export function download(name: string, data: BlobPart, type: string) {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// "cnn.onnx" → "cnn.qat.onnx"
export const siblingName = (modelName: string, suffix: string) => modelName.replace(/\.onnx$/i, '') + suffix;
