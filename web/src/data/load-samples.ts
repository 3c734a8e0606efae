// Dropped or picked files -> one set of samples: images (a folder per class gives labels), or
// one .npy/.npz/.csv file. Dropped folders are walked so each file keeps its folder name.
import type { Engine } from '../engine/types';
import { decodeImages, isImage } from './images';
import type { Preprocessing } from './preprocessing';
import { checkFinite, type Samples } from './samples';
import { isTensorFile, readTensorFile } from './tensor-files';

type WithPath = File & { relativePath?: string };

async function walk(entry: FileSystemEntry, path: string, out: File[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    Object.defineProperty(file, 'relativePath', { value: `${path}${file.name}` });
    out.push(file);
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    for (const child of batch) await walk(child, `${path}${entry.name}/`, out);
  }
}

export async function filesFromDrop(transfer: DataTransfer): Promise<File[]> {
  const entries = [...transfer.items].map((item) => item.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e);
  if (!entries.length) return [...transfer.files];
  const files: File[] = [];
  for (const entry of entries) await walk(entry, '', files);
  return files as WithPath[];
}

export const isModelFile = (f: File) => /\.onnx$/i.test(f.name);
export const isSampleFile = (f: File) => isImage(f) || isTensorFile(f);

export async function samplesFromFiles(files: File[], engine: Engine, preprocessing: Preprocessing, classNames?: string[],
                                       progress?: (done: number, total: number) => void): Promise<Samples> {
  const tensors = files.filter(isTensorFile);
  let samples: Samples;
  if (tensors.length > 1) throw new Error(`drop one .npy, .npz or .csv file at a time (got ${tensors.map((f) => f.name).join(', ')})`);
  if (tensors.length === 1) {
    const { data, labels, first } = await readTensorFile(tensors[0], engine);
    if (labels && labels.dims[0] !== data.dims[0])
      throw new Error(`${tensors[0].name}: ${data.dims[0]} samples but ${labels.dims[0]} labels`);
    samples = { source: tensors[0].name, data, labels, classNames, first };
  } else {
    samples = await decodeImages(files, preprocessing, classNames, progress);
  }
  if (!samples.data.dims.length || samples.data.dims[0] === 0) throw new Error(`${samples.source}: no samples`);
  checkFinite(samples);
  return samples;
}
