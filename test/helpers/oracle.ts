/**
 * Reads the Captum reference cases in ../shared/oracle (see its README).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '../../src/tensor/tensor.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Path of the shared folder (beside the project checkout, locally and in CI). */
export const sharedDir = resolve(here, '../../../shared');
export const oracleDir = join(sharedDir, 'oracle');

export interface OracleAttribution {
  name: string;
  file: string;
  shape: number[];
  attribute_kwargs?: Record<string, unknown>;
  reference_quality?: string;
  captum_convergence_delta?: number;
}

export interface OracleCase {
  id: string;
  model: string;
  onnx: string;
  input_file: string;
  input_shape: number[];
  target: number;
  logits: number[];
  f_input_target: number;
  f_baseline_zeros_target: number;
  attributions: OracleAttribution[];
  aux: { name: string; file: string; shape: number[] }[];
}

export interface OracleModel {
  name: string;
  onnx: string;
  input_shape: number[];
  num_classes: number;
  gradcam_layer: { onnx_tensor: string };
  smoothgrad_noise: { file: string; shape: number[] };
  feature_mask: { file: string; shape: number[]; num_features: number };
  ig_approximation_n_steps_32: Record<string, { alphas: number[]; step_sizes: number[] }>;
}

interface Manifest {
  models: Record<string, OracleModel>;
  cases: OracleCase[];
}

let manifest: Manifest | undefined;

/** The parsed manifest. */
export function oracle(): Manifest {
  if (!manifest) manifest = JSON.parse(readFileSync(join(oracleDir, 'cases.json'), 'utf8')) as Manifest;
  return manifest;
}

/** True when the shared oracle folder is present. */
export function hasOracle(): boolean {
  return existsSync(join(oracleDir, 'cases.json'));
}

/** Reads a raw float32 tensor from the oracle. */
export function oracleTensor(file: string, shape: readonly number[]): Tensor {
  const buf = readFileSync(join(oracleDir, file));
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return { data, shape: [...shape] };
}

/** Reads a raw int32 tensor from the oracle. */
export function oracleInts(file: string): Int32Array {
  const buf = readFileSync(join(oracleDir, file));
  return new Int32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** The model bytes of a case. */
export function oracleModelBytes(c: { onnx: string }): Uint8Array {
  return new Uint8Array(readFileSync(join(oracleDir, c.onnx)));
}

/** The reference attribution called `name` in a case. */
export function reference(c: OracleCase, name: string): Tensor {
  const a = c.attributions.find((x) => x.name === name) ?? c.aux.find((x) => x.name === name);
  if (!a) throw new Error(`oracle case ${c.id} has no ${name}`);
  return oracleTensor(a.file, a.shape);
}

/** The input of a case. */
export function caseInput(c: OracleCase): Tensor {
  return oracleTensor(c.input_file, c.input_shape);
}
