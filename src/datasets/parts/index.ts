/**
 * The procedural part-annotated data set (issue #15), isomorphic: the generator, its figure
 * classes, the Broden encoding helpers and the bias rules. Writing to disk is in
 * `datasets/node/parts-writer.ts`.
 */
export { type BiasRule, biasedBackground, parseBias } from './bias.js';
export { type BrodenLabel, csvField, decodeLabelPlane, encodeLabelPlane, indexHeader, indexRow, LabelTally } from './broden.js';
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
export { PALETTE, TEXTURES, type TextureName } from './textures.js';
