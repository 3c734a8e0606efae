// Image files -> samples, decoded and resized in the browser. A folder per class gives labels.
import type { Samples } from './samples';
import { pixelsToTensor, sampleDims, type Preprocessing } from './preprocessing';

export const isImage = (f: File) => /\.(png|jpe?g|webp|bmp|gif)$/i.test(f.name) || f.type.startsWith('image/');

// The folder a file sits in (from a folder picker or a dropped folder), or ''.
export const folderOf = (f: File) => {
  const parts = (f.webkitRelativePath || (f as File & { relativePath?: string }).relativePath || '').split('/');
  return parts.length > 1 ? parts[parts.length - 2] : '';
};

// Class index per folder: the model's own class names when they match, else sorted folder names.
function labelFolders(folders: string[], known?: string[]): string[] {
  const unique = [...new Set(folders)].sort();
  return known && unique.every((f) => known.includes(f)) ? known : unique;
}

export async function decodeImages(files: File[], p: Preprocessing, knownClasses?: string[],
                                   progress?: (done: number, total: number) => void): Promise<Samples> {
  const images = files.filter(isImage);
  if (!images.length) throw new Error('no image files (PNG, JPEG, WebP, BMP, GIF) among the dropped files');
  const dims = sampleDims(p);
  const perSample = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(images.length * perSample);
  const canvas = new OffscreenCanvas(p.width, p.height);
  const context = canvas.getContext('2d', { willReadFrequently: true })!;
  for (let i = 0; i < images.length; i++) {
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(images[i]);
    } catch {
      throw new Error(`${images[i].name}: not an image this browser can decode`);
    }
    context.clearRect(0, 0, p.width, p.height);
    context.drawImage(bitmap, 0, 0, p.width, p.height);
    bitmap.close();
    pixelsToTensor(context.getImageData(0, 0, p.width, p.height).data, p, data.subarray(i * perSample, (i + 1) * perSample));
    progress?.(i + 1, images.length);
  }
  const folders = images.map(folderOf);
  const labelled = folders.every((f) => f !== '') && new Set(folders).size > 1;
  const classNames = labelled ? labelFolders(folders, knownClasses) : undefined;
  return {
    source: `${images.length} images`,
    data: { data, dims: [images.length, ...dims], type: 'float32' },
    labels: classNames ? { data: BigInt64Array.from(folders, (f) => BigInt(classNames.indexOf(f))), dims: [images.length], type: 'int64' } : null,
    classNames,
  };
}
