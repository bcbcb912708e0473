/**
 * Central finite-difference checks of the compiler's vector-Jacobian rules on small graphs built
 * in the tests with our own ONNX builder.
 *
 * For a random seed s and the scalar L(x) = Σ s·f(x), every analytic gradient entry dL/dx_i
 * (from the compiled backward graph) is compared with (L(x + ε e_i) − L(x − ε e_i)) / 2ε.
 */
import assert from 'node:assert/strict';
import { differentiate } from '../../src/compiler/differentiate.js';
import { resolveRuleSet } from '../../src/compiler/rulesets/index.js';
import type { RuleSet } from '../../src/compiler/vjp.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { probeGraph } from '../../src/engine/probe.js';
import type { RuntimeSession } from '../../src/engine/runtime.js';
import { buildModel, type GraphBuilder, graphFromBytes } from '../../src/onnx/builder.js';
import { constantsToInitializers } from '../../src/onnx/constants.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { COMPILER_OPSET, upgradeOpset } from '../../src/onnx/upgrade.js';
import { seededRandom } from '../../src/tensor/random.js';
import { sizeOf } from '../../src/tensor/tensor.js';

/** A seeded PRNG so failures reproduce (the library's own). */
export const rng = seededRandom;

/** Uniform values in [lo, hi). */
export function uniform(n: number, random: () => number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * random();
  return out;
}

export interface GradCheckSpec {
  /** Graph inputs (all float32) and their static shapes. */
  readonly inputs: readonly { name: string; shape: readonly number[]; values?: Float32Array }[];
  /** The output to seed. */
  readonly output: string;
  readonly build: (b: GraphBuilder) => void;
  readonly opset?: number;
  readonly rules?: string | RuleSet;
  /** Finite-difference step (default 1e-2; float32 graphs). */
  readonly eps?: number;
  /** Allowed error: atol + rtol · max|fd| (defaults 2e-3 and 1e-2). */
  readonly atol?: number;
  readonly rtol?: number;
  /** Check at most this many entries per input (random subset; default 160). */
  readonly maxEntries?: number;
  readonly seed?: number;
}

async function evalLoss(
  session: RuntimeSession,
  feeds: Record<string, { data: Float32Array; shape: readonly number[] }>,
  output: string,
  seed: Float32Array,
): Promise<number> {
  const r = await session.run(feeds, [output]);
  const y = r[output]?.data as Float32Array;
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (y[i] as number) * (seed[i] as number);
  return s;
}

/**
 * Builds the graph, compiles its backward and checks every (or a sample of) gradient entries
 * against central finite differences. Returns the analytic gradients for further checks.
 *
 * @example
 * ```ts
 * await gradCheck({ inputs: [{ name: 'x', shape: [1, 2, 5, 5] }], output: 'y', build: (b) => b.op('Relu', ['x'], {}, { outputs: ['y'] }) });
 * ```
 */
export async function gradCheck(spec: GradCheckSpec): Promise<Record<string, Float32Array>> {
  const random = rng(spec.seed ?? 1234);
  const bytes = buildModel({
    opset: spec.opset ?? 17,
    inputs: spec.inputs.map((i) => ({ name: i.name, dims: i.shape })),
    outputs: [spec.output],
    build: spec.build,
  });
  const graph = graphFromBytes(bytes);
  constantsToInitializers(graph);
  upgradeOpset(graph, Math.max(graph.opset, COMPILER_OPSET));
  const probe = await probeGraph(nodeRuntime, graph);
  const wrt = spec.inputs.map((i) => i.name);
  const d = differentiate(graph, probe, { seeds: [spec.output], wrt, read: [] }, resolveRuleSet(spec.rules));
  const backward = await nodeRuntime.createSession(encodeModel(d.graph.toModel()), { optimization: 'disabled' });
  const forward = await nodeRuntime.createSession(encodeModel(graph.toModel()), { optimization: 'disabled' });
  try {
    const feeds: Record<string, { data: Float32Array; shape: readonly number[] }> = {};
    for (const i of spec.inputs) feeds[i.name] = { data: i.values ?? uniform(sizeOf(i.shape), random), shape: i.shape };
    const outShape = probe.shapes.get(spec.output) as readonly number[];
    const seed = uniform(sizeOf(outShape), random);
    const r = await backward.run({ ...feeds, [d.seedInputs.get(spec.output) as string]: { data: seed, shape: outShape } });
    const grads: Record<string, Float32Array> = {};
    const eps = spec.eps ?? 1e-2;
    for (const input of spec.inputs) {
      const analytic = r[d.gradientOutputs.get(input.name) as string]?.data as Float32Array;
      grads[input.name] = analytic;
      const x = feeds[input.name]?.data as Float32Array;
      assert.equal(analytic.length, x.length, `gradient of ${input.name} has ${analytic.length} entries, expected ${x.length}`);
      const n = x.length;
      const max = spec.maxEntries ?? 160;
      const entries = n <= max ? [...Array(n).keys()] : Array.from({ length: max }, () => Math.floor(random() * n));
      const fd = new Float64Array(entries.length);
      for (const [k, i] of entries.entries()) {
        const orig = x[i] as number;
        x[i] = orig + eps;
        const up = await evalLoss(forward, feeds, spec.output, seed);
        x[i] = orig - eps;
        const down = await evalLoss(forward, feeds, spec.output, seed);
        x[i] = orig;
        fd[k] = (up - down) / (2 * eps);
      }
      let fdMax = 0;
      for (const v of fd) fdMax = Math.max(fdMax, Math.abs(v));
      const tol = (spec.atol ?? 2e-3) + (spec.rtol ?? 1e-2) * fdMax;
      for (const [k, i] of entries.entries()) {
        const diff = Math.abs((analytic[i] as number) - (fd[k] as number));
        assert.ok(
          diff <= tol,
          `d/d${input.name}[${i}]: analytic ${analytic[i]} vs finite difference ${fd[k]} (|diff| ${diff.toExponential(2)} > ${tol.toExponential(2)})`,
        );
      }
    }
    return grads;
  } finally {
    await backward.dispose();
    await forward.dispose();
  }
}
