/**
 * The Broden concept-data format, Node side: `openBroden` reads a folder image by image,
 * `BrodenWriter` writes one image by image.
 */
export * from './reader-node.js';
export * from './writer-node.js';
