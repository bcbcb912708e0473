/**
 * Training: parameter gradients from the compiler, BatchNorm modes, loss terms, optimizers with
 * PyTorch's semantics, schedules, the one-run step, the loop and checkpoints (browser-safe core).
 */
export * from '../datasets/augment.js';
export * from '../datasets/idx.js';
export * from '../datasets/order.js';
export * from '../datasets/types.js';
export * from '../models/architectures.js';
export * from './batchnorm.js';
export * from './checkpoint.js';
export * from './fit.js';
export * from './interpretable/index.js';
export * from './loss.js';
export * from './optimizers/index.js';
export * from './parameters.js';
export * from './schedule.js';
export * from './step-graph.js';
export * from './trainer.js';
