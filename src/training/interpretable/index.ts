/**
 * Interpretable CNNs (Zhang, Wu & Zhu, CVPR 2018, https://arxiv.org/abs/1710.00935): templates, the
 * mask layer, the filter loss −MI(X;T) as a training loss term, and the setup that masks a model.
 */
export * from './filter-loss.js';
export * from './mask.js';
export * from './setup.js';
export * from './templates.js';
