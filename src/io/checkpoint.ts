/**
 * Writing and reading training checkpoints on disk: `trained.onnx` (the model with trained
 * initializers), its sidecar `trained.lucerna.json`, and the optimizer state
 * `trained.optimizer.onnx`. Each file is written atomically and the model last; when a write
 * fails, the files already written are removed, so a checkpoint is there whole or not at all.
 */
import { rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { Graph } from '../onnx/graph.js';
import { checkpointBytes, type OptimizerMeta, optimizerStateBytes, parseOptimizerState } from '../training/checkpoint.js';
import type { OptimizerState } from '../training/trainer.js';
import { readBytes } from './files.js';
import { SIDECAR_VERSION, type Sidecar, sidecarPath, validateSidecar } from './sidecar.js';
import { writeFileAtomic } from './write.js';

/**
 * The optimizer side file of a checkpoint: same folder and stem, extension `.optimizer.onnx`.
 *
 * @example
 * ```ts
 * optimizerStatePath('runs/trained.onnx'); // 'runs/trained.optimizer.onnx'
 * ```
 */
export function optimizerStatePath(modelPath: string): string {
  return join(dirname(modelPath), `${basename(modelPath, extname(modelPath))}.optimizer.onnx`);
}

/** Everything one checkpoint holds. */
export interface CheckpointContents {
  readonly source: Graph;
  readonly values: ReadonlyMap<string, Float32Array>;
  readonly sidecar?: Sidecar;
  readonly optimizer: { readonly state: OptimizerState; readonly shapes: ReadonlyMap<string, readonly number[]>; readonly meta: OptimizerMeta };
}

/**
 * Writes a checkpoint (optimizer state, sidecar, then the model); returns the paths written.
 *
 * @example
 * ```ts
 * await writeCheckpoint('trained.onnx', { source, values: trainer.values(), optimizer: { state, shapes, meta } });
 * ```
 */
export async function writeCheckpoint(path: string, c: CheckpointContents): Promise<string[]> {
  const model = checkpointBytes(c.source, c.values);
  const state = optimizerStateBytes(c.optimizer.state, c.optimizer.shapes, c.optimizer.meta);
  const files: [string, Uint8Array | string][] = [[optimizerStatePath(path), state]];
  if (c.sidecar) {
    const sc = sidecarPath(path);
    files.push([sc, `${JSON.stringify(validateSidecar({ ...c.sidecar, version: SIDECAR_VERSION }, sc), null, 2)}\n`]);
  }
  files.push([path, model]);
  const written: string[] = [];
  try {
    for (const [p, data] of files) {
      await writeFileAtomic(p, data);
      written.push(p);
    }
  } catch (e) {
    // All or nothing: a checkpoint without its model (or its state) is removed again.
    for (const p of written) await rm(p, { force: true }).catch(() => undefined);
    throw e;
  }
  return written;
}

/**
 * Reads the optimizer side file of `modelPath`.
 *
 * @example
 * ```ts
 * const { state, meta } = await readOptimizerState('trained.onnx');
 * ```
 */
export async function readOptimizerState(modelPath: string): Promise<ReturnType<typeof parseOptimizerState>> {
  const path = optimizerStatePath(modelPath);
  return parseOptimizerState(await readBytes(path, 'the optimizer state'), path);
}
