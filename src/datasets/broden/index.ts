/**
 * The Broden concept-data format, isomorphic part: CSV parsing, the vocabulary, label coding and
 * the builder that `BrodenWriter` (in `node.ts`) uses. See `format.ts` for the layout.
 */
export * from './builder.js';
export * from './csv.js';
export * from './format.js';
export * from './labels.js';
