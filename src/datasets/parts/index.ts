/**
 * The procedural part-annotated data set (issue #15), isomorphic: the generator, its figure
 * classes, its label vocabulary and the bias rules (the Broden files are written by
 * `datasets/broden`'s `BrodenWriter`). Writing to disk is in
 * `datasets/node/parts-writer.ts`. The palette, textures and Broden label type carry a `PARTS_` /
 * `Parts` prefix here because the concept set (`datasets/concepts`, `datasets/broden`) has its own.
 */
export { type BiasRule, biasedBackground, parseBias } from './bias.js';
export { FIGURE_CLASSES, type FigureClass, type FigurePart, PART_NAMES } from './figures.js';
export {
  classNames,
  type Landmark,
  NONE_CLASS,
  type PartAttributes,
  type PartsOptions,
  type PartsSample,
  partsSample,
  type SampleAttributes,
} from './generate.js';
export type { PartsLabel, PartsLabel as PartsBrodenLabel } from './labels.js';
export { PALETTE as PARTS_PALETTE, TEXTURES as PARTS_TEXTURES, type TextureName } from './textures.js';
