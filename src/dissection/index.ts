/**
 * Network Dissection (Bau et al. 2017, https://arxiv.org/abs/1704.05796) with NetDissect-Lite's
 * semantics: thresholds, tallies, IoU, shards and the report.
 */
export * from './dissect.js';
export * from './forward.js';
export * from './output.js';
export * from './overlay.js';
export * from './report.js';
export * from './score.js';
export * from './shard.js';
export * from './tally.js';
export * from './threshold.js';
export * from './top-images.js';
