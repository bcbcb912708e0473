/**
 * The Node entry of Lucerna: everything in the core, with onnxruntime-node registered as the
 * default runtime, plus the Node-only file helpers.
 *
 * @example
 * ```ts
 * import { Model, loadModelFile } from 'lucerna/node';
 * const model = await loadModelFile('model.onnx');
 * ```
 */
import { nodeRuntime } from './engine/node.js';
import { setDefaultRuntime } from './engine/runtime.js';

setDefaultRuntime(nodeRuntime);

export { nodeRuntime } from './engine/node.js';
export * from './index.js';
export { loadModelFile, readBytes } from './io/files.js';
