/**
 * Restricting a Broden set to one object class, for part dissection: the interpretable-CNN paper
 * (Zhang et al. 2018, https://arxiv.org/abs/1710.00935, §4) and Bau et al. 2017
 * (https://arxiv.org/abs/1704.05796) measure part filters on the images of one object category.
 * `--where object=bird` keeps the images that contain a `bird` pixel (or the image-level label) and,
 * inside them, keeps a pixel label only where the pixel belongs to that object, so the parts of
 * other objects in the same image do not count. The unit's own mask is not restricted: a unit that
 * fires off the object still pays for it in the IoU's denominator. Isomorphic.
 */
import { LucernaError } from '../../errors.js';
import type { ImageLabels } from './labels.js';

/** A parsed `--where <category>=<label>`. */
export interface WhereClause {
  readonly category: string;
  readonly label: string;
  /** The label's number in `label.csv`. */
  readonly number: number;
}

/**
 * Parses `--where <category>=<label>` and resolves the label's number by its name (`labelNames`
 * is indexed by label number, as `BrodenMeta.labelNames`).
 *
 * @example
 * ```ts
 * parseWhere('object=bird', ['', 'bird', 'head']); // { category: 'object', label: 'bird', number: 1 }
 * ```
 */
export function parseWhere(text: string, labelNames: readonly string[]): WhereClause {
  const m = /^\s*([^=\s]+)\s*=\s*(.+?)\s*$/.exec(text);
  if (!m) throw new LucernaError('BAD_OPTION', `--where must be <category>=<label>, got "${text}"`, 'E.g. --where object=bird');
  const [, category, label] = m as unknown as [string, string, string];
  const number = labelNames.indexOf(label, 1);
  if (number < 1) {
    const close = labelNames.filter((n) => n && (n.includes(label) || label.includes(n))).slice(0, 5);
    throw new LucernaError(
      'BAD_OPTION',
      `--where: label "${label}" is not in label.csv`,
      close.length ? `Did you mean ${close.join(', ')}?` : 'Check label.csv',
    );
  }
  return { category, label, number };
}

/**
 * The pixels of the object (`sh·sw`, 1 where any plane of the clause's category holds its label);
 * the whole image when the label is image-level; `undefined` when the image does not contain it.
 *
 * @example
 * ```ts
 * objectMask({ sh: 1, sw: 2, planes: [Int32Array.from([1, 0])], scalars: [] }, 1); // Uint8Array [1, 0]
 * ```
 */
export function objectMask(labels: ImageLabels, number: number): Uint8Array | undefined {
  const size = labels.sh * labels.sw;
  if (labels.scalars.includes(number)) return new Uint8Array(size).fill(1);
  const mask = new Uint8Array(size);
  let any = false;
  for (const plane of labels.planes) {
    for (let p = 0; p < size; p++) {
      if (plane[p] === number) {
        mask[p] = 1;
        any = true;
      }
    }
  }
  return any ? mask : undefined;
}

/**
 * The labels with every pixel label outside `mask` cleared (image-level labels stay).
 *
 * @example
 * ```ts
 * maskLabels({ sh: 1, sw: 2, planes: [Int32Array.from([5, 6])], scalars: [9] }, Uint8Array.from([1, 0]));
 * // { sh: 1, sw: 2, planes: [Int32Array [5, 0]], scalars: [9] }
 * ```
 */
export function maskLabels(labels: ImageLabels, mask: Uint8Array): ImageLabels {
  const planes = labels.planes.map((plane) => plane.map((v, p) => (mask[p] ? v : 0)));
  return { ...labels, planes };
}
