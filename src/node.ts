/**
 * The Node entry of Lucerna: everything in the core, with onnxruntime-node registered as the
 * default runtime, plus the Node-only pieces: files, images (sharp), sidecars, the TF.js model
 * reader and the bundled default model.
 *
 * @example
 * ```ts
 * import { loadModelFile, saliency } from 'lucerna/node';
 * await using model = await loadModelFile('model.onnx');
 * ```
 */
import { nodeRuntime } from './engine/node.js';
import { setDefaultRuntime } from './engine/runtime.js';

setDefaultRuntime(nodeRuntime);

export * from './convert/node.js';
export { defaultModelPath, loadNsfwjsMobileNetV2, nsfwjsLabels } from './convert/nsfwjs.js';
export { type LandmarkImage, readLandmarkSet } from './datasets/node/landmark-set.js';
export { partsLabels, type WritePartsOptions, type WritePartsResult, writePartsDataset } from './datasets/node/parts-writer.js';
export * from './datasets/node/fashion-mnist.js';
export * from './datasets/node/image-folder.js';
export * from './datasets/node/npy.js';
export { nodeRuntime } from './engine/node.js';
export * from './index.js';
export * from './io/checkpoint.js';
export { loadModelFile, readBytes } from './io/files.js';
export * from './io/image.js';
export * from './io/sidecar.js';
export { writeFileAtomic } from './io/write.js';
