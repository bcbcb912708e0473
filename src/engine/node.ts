/**
 * The onnxruntime-node adapter. The only core-adjacent file that imports onnxruntime-node.
 */
import { totalmem } from 'node:os';
import * as ort from 'onnxruntime-node';
import { type OrtModule, ortRuntime } from './ort-adapter.js';
import type { Runtime } from './runtime.js';

/**
 * ONNX Runtime for Node (CPU execution provider), reporting the machine's memory for default
 * memory limits.
 *
 * @example
 * ```ts
 * const model = await Model.load(bytes, { runtime: nodeRuntime });
 * ```
 */
export const nodeRuntime: Runtime = { ...ortRuntime(ort as unknown as OrtModule, 'onnxruntime-node'), memoryBytes: totalmem() };
