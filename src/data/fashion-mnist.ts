// Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, Zalando Research; MIT licence): 28×28 grey
// images of 10 clothing classes, 60,000 for training and 10,000 for testing, as IDX files.
//
// Contract: `loadFashionMnist({split, dir?, limit?, indices?, seed?})` reads the split's
// image and label files from `dir` (default /usr/share/datasets/fashion-mnist, the Debian
// package dataset-fashion-mnist; each file gzip-compressed or raw) and returns pixels u/255
// as float32, n × 784 row-major, and int32 labels in [0, 10). `loadDefaultDataset` reads the
// test split that ships inside descent's own data/ folder, so it needs no setup. Missing,
// truncated or malformed files throw a `DataFileError` naming the file and the problem; a
// missing data folder says how to install it.

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { rangeError, typeError } from '../errors.js';
import { DataFileError, findPackageRoot } from '../io/files.js';
import type { ClassificationData, RowSelection } from './dataset.js';
import { selectRows } from './dataset.js';
import { decodeImages, decodeLabels, idxRows, openIdx } from './idx.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Class names, by label. */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

export type Split = 'train' | 'test';

const BASENAMES: Record<Split, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

const INSTALL_HINT =
  "; install the Debian package dataset-fashion-mnist ('sudo bash scripts/setup-system.sh' from descent's " +
  "folder, or 'apt-get install dataset-fashion-mnist'), or pass 'dir' naming a folder that holds " +
  'train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz';

export interface FashionMnistOptions extends RowSelection {
  split: Split;
  /** Folder with the IDX files; default /usr/share/datasets/fashion-mnist. */
  dir?: string;
}

export interface FashionMnist extends ClassificationData {
  split: Split;
  /** [rows, cols] of each image (28×28). */
  imageShape: [number, number];
  /** The files read. */
  files: { images: string; labels: string };
}

/** The split's image and label paths in `dir`: `<name>.gz` when present, else the raw `<name>`. */
export function fashionMnistFiles(split: Split, dir: string = FASHION_MNIST_DIR): { images: string; labels: string } {
  const pick = (base: string) => {
    const gz = join(dir, `${base}.gz`);
    return !existsSync(gz) && existsSync(join(dir, base)) ? join(dir, base) : gz;
  };
  return { images: pick(BASENAMES[split].images), labels: pick(BASENAMES[split].labels) };
}

function load(fn: string, split: Split, dir: string, selection: RowSelection, hint: string): FashionMnist {
  let isDir = false;
  try { isDir = statSync(dir).isDirectory(); } catch { isDir = false; }
  if (!isDir) {
    throw new DataFileError(`${fn}: the Fashion-MNIST folder ${dir} does not exist${hint}`, dir, 'missing');
  }
  const files = fashionMnistFiles(split, dir);
  const labelsFile = openIdx(files.labels, {
    fn, hint, expect: { dtype: 'uint8', ndim: 1, what: 'labels', noun: 'labels' },
  });
  // The labels give the row count, hence the rows wanted; the images (the large file) are
  // then read only as far as the last of them.
  const total = idxRows(labelsFile);
  if (total === 0) throw new DataFileError(`${fn}: ${files.labels} holds no rows (0 labels)${hint}`, files.labels, 'format');
  const rows = selectRows(fn, total, selection);
  let last = total - 1;
  if (rows) {
    last = -1;
    for (const r of rows) last = Math.max(last, r);
  }
  const imagesFile = openIdx(files.images, {
    fn, hint, rows: last + 1, expect: { dtype: 'uint8', ndim: 3, what: 'images', noun: 'pixels' },
  });
  if (idxRows(imagesFile) !== total) {
    throw new DataFileError(`${fn}: ${files.images} holds ${idxRows(imagesFile)} images but ${files.labels} holds ` +
      `${total} labels`, files.labels, 'mismatch');
  }
  const [, h, w] = imagesFile.header.dims as [number, number, number];
  const x = decodeImages(imagesFile, rows);
  const y = decodeLabels(labelsFile, rows, FASHION_MNIST_CLASSES.length, fn);
  return { x, y, n: y.length, features: h * w, classes: FASHION_MNIST_CLASSES.length, split, imageShape: [h, w], files };
}

function checkSelection(fn: string, options: RowSelection): void {
  if (typeof options !== 'object' || options === null) throw typeError(fn, 'options', 'an object', options);
}

/**
 * Loads a Fashion-MNIST split from the Debian package's folder (or `dir`).
 * @example
 * const { x, y, n } = loadFashionMnist({ split: 'train', limit: 1000 });  // first 1000 rows
 * const sub = loadFashionMnist({ split: 'train', limit: 1000, seed: 7 });  // a random 1000
 */
export function loadFashionMnist(options: FashionMnistOptions): FashionMnist {
  const fn = 'loadFashionMnist';
  checkSelection(fn, options);
  const { split, dir = FASHION_MNIST_DIR, ...selection } = options;
  if (typeof split !== 'string') throw typeError(fn, 'split', "'train' or 'test'", split);
  if (split !== 'train' && split !== 'test') throw rangeError(fn, 'split', "'train' or 'test'", split);
  if (typeof dir !== 'string') throw typeError(fn, 'dir', 'a folder path', dir);
  return load(fn, split, dir, selection, INSTALL_HINT);
}

/** descent's own data folder (data/ beside package.json). */
export function defaultDataDir(): string {
  return join(findPackageRoot(), 'data');
}

/**
 * The data set that ships with descent: Fashion-MNIST's test split (10,000 images), read
 * from descent's data/ folder, so it works with no setup.
 * @example
 * const { x, y, n, features, classes } = loadDefaultDataset({ limit: 2048 });
 */
export function loadDefaultDataset(options: RowSelection = {}): FashionMnist {
  const fn = 'loadDefaultDataset';
  checkSelection(fn, options);
  return load(fn, 'test', defaultDataDir(), options,
    "; descent's data/ folder should ship t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz: reinstall descent");
}
