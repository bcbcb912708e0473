/**
 * Where one training step's time goes, from ONNX Runtime's own profiler: the issue's case
 * (ResNet-18, 10 classes, 64×64, SGD momentum, BatchNorm in train mode) compiled as `lucerna train`
 * compiles it, run a few times in a profiled session, each node's kernel time put in one category.
 * Also the time outside the kernels: ORT's own per-run work (model_run minus the kernels) and the
 * binding's (the JS call minus model_run: wrapping the feeds and copying every output, the new
 * weights and momentum buffers included, into fresh JS arrays; with the profiler's own per-run work,
 * which is why `fetch-cost.ts` measures the fetch again without the profiler).
 * With several steps per run the session is the multi-step one (`multi-step.ts`, what `lucerna train`
 * runs): its Loop node's event is left out (the body's nodes are profiled one by one) and every time
 * is per step, so the binding's share is its cost per run spread over the run's steps.
 * Used by `train-step.ts` (the bench's `training` section) and `train-step-profile.ts` (per op and node).
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeRuntime } from '../src/engine/node.js';
import { prepareGraph } from '../src/engine/prepare.js';
import { createModel } from '../src/models/architectures.js';
import { graphFromBytes } from '../src/onnx/builder.js';
import type { Graph } from '../src/onnx/graph.js';
import { encodeModel } from '../src/onnx/proto.js';
import { readFloats } from '../src/onnx/tensors.js';
import { oneHotRows, softmaxCrossEntropy } from '../src/training/loss.js';
import { buildMultiStepGraph, loopName } from '../src/training/multi-step.js';
import { sgd } from '../src/training/optimizers/index.js';
import { DEFAULT_HYPER } from '../src/training/optimizers/types.js';
import { splitParameters } from '../src/training/parameters.js';
import { buildStepGraph, type StepGraph } from '../src/training/step-graph.js';

/** One profiled node event (ORT's Chrome-trace JSON). */
export interface NodeEvent {
  readonly name: string;
  readonly op: string;
  /** Microseconds. */
  readonly dur: number;
  readonly shapes: string;
  /**
   * Whether the kernel ran at least one parallel section on the intra-op pool (ORT's
   * `thread_scheduling_stats`); false: the calling thread did all of it. Undefined without a pool (1 thread).
   */
  readonly parallel?: boolean;
}

/** A profiled step, averaged over the profiled runs (ms per step). */
export interface StepProfile {
  readonly nodes: number;
  /** Profiled steps (runs × steps per run). */
  readonly runs: number;
  readonly perRun: number;
  /** The JS `run()` call, ORT's model_run event, and the sum of kernel times, per step. */
  readonly wallMs: number;
  readonly modelRunMs: number;
  readonly kernelMs: number;
  /** Kernel ms per step by category (see {@link categoryOf}). */
  readonly categories: Record<string, number>;
  /** Kernel ms per step of the nodes that ran no parallel section (undefined with 1 thread). */
  readonly singleThreadedMs?: number;
  /** Every node event of the profiled runs (after the warm-up run). */
  readonly events: readonly NodeEvent[];
}

const ARITHMETIC = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'FusedConv', 'FusedGemm']);
const MOVEMENT = new Set([
  'Transpose',
  'Slice',
  'Pad',
  'Concat',
  'Split',
  'Reshape',
  'Expand',
  'Unsqueeze',
  'Squeeze',
  'Resize',
  'ReorderInput',
  'ReorderOutput',
  'Identity',
  'Flatten',
]);
const POOLING = new Set(['MaxPool', 'ScatterElements', 'GlobalAveragePool', 'AveragePool']);

/**
 * The category of one node: its part of the step (forward nodes keep the model's names; the
 * compiler's are `lucerna/` (backward), `train/` (BatchNorm's batch statistics), `opt/` and
 * `fused/` (the optimizer update), `gemm/` (the Gemm-lowered convs)) and its kind of work.
 *
 * @example
 * ```ts
 * categoryOf('lucerna/Conv_node_12', 'Conv'); // 'convolutions and matrix products, backward'
 * ```
 */
export function categoryOf(name: string, op: string): string {
  const part = /^(lucerna|train|opt|fused|gemm)\//.exec(name)?.[1] ?? 'forward';
  if (part === 'opt' || (part === 'fused' && op !== 'Gemm')) return 'optimizer update (element-wise)';
  if (ARITHMETIC.has(op)) return `convolutions and matrix products, ${part === 'lucerna' || part === 'fused' ? 'backward' : 'forward'}`;
  if (part === 'train') return 'BatchNorm batch statistics (forward)';
  if (MOVEMENT.has(op)) return 'layout and data movement (Transpose, Slice, Pad, Concat, …)';
  if (POOLING.has(op)) return 'pooling and its backward (MaxPool, ScatterElements)';
  return part === 'lucerna' ? 'element-wise backward (BatchNorm, ReLU masks, adds)' : 'element-wise forward (BatchNorm, ReLU, adds, loss)';
}

interface TraceEvent {
  readonly cat: string;
  readonly name: string;
  readonly dur: number;
  readonly ts: number;
  readonly args?: { op_name?: string; input_type_shape?: Record<string, number[]>[]; thread_scheduling_stats?: unknown };
}

/**
 * Whether a node event's kernel ran a parallel section, from ORT's `thread_scheduling_stats`
 * argument: its calling ("main") thread records the block size of every parallel section it
 * distributed, so an empty list means the kernel ran on that thread alone. Undefined when the
 * event has no such statistics (a session without an intra-op pool, i.e. 1 thread).
 *
 * @example
 * ```ts
 * ranParallel({ main_thread: { block_size: [4] } }); // true
 * ranParallel({ main_thread: { block_size: [] } }); // false
 * ranParallel(undefined); // undefined
 * ```
 */
export function ranParallel(stats: unknown): boolean | undefined {
  if (typeof stats !== 'object' || stats === null) return undefined;
  const blocks = (stats as { main_thread?: { block_size?: unknown } }).main_thread?.block_size;
  return Array.isArray(blocks) ? blocks.length > 0 : undefined;
}

/**
 * The feeds of one run of `perRun` steps (the one-step graph's when `perRun` is 1), the carried
 * tensors' feed and output names, and the session's bytes.
 *
 * @example
 * ```ts
 * const { feeds, carried, bytes } = stepFeeds(step, source, 32, 6); // feeds of a 6-step multi-step run
 * ```
 */
export function stepFeeds(step: StepGraph, source: Graph, batch: number, perRun: number) {
  const multi = perRun > 1 ? buildMultiStepGraph(step) : undefined;
  const name = (n: string) => (multi ? loopName(n) : n);
  const repeat = (data: Float32Array) => {
    const out = new Float32Array(perRun * data.length);
    for (let k = 0; k < perRun; k++) out.set(data, k * data.length);
    return out;
  };
  const lead = multi ? [perRun] : [];
  const x = new Float32Array(batch * 3 * 64 * 64).map((_, i) => Math.sin(i));
  const oneHot = oneHotRows(
    Array.from({ length: batch }, (_, i) => i % 10),
    10,
  );
  const feeds: Record<string, { data: Float32Array; dims: readonly number[] }> = {
    [name(step.input)]: { data: repeat(x), dims: [...lead, batch, 3, 64, 64] },
    [name(step.oneHot)]: { data: repeat(oneHot), dims: [...lead, batch, 10] },
  };
  const scalars = sgd.scalars(HYPER, { lr: 0.01, step: 1 });
  for (const [k, input] of Object.entries(step.scalars)) feeds[name(input)] = { data: repeat(new Float32Array([scalars[k] as number])), dims: lead };
  const carried = step.carried.map((c) => ({ input: name(c.input), output: name(c.output), dims: c.dims }));
  for (const [i, c] of carried.entries()) {
    const init = source.initializers.get(step.carried[i]?.input ?? '');
    feeds[c.input] = { data: init ? readFloats(init) : new Float32Array(c.dims.reduce((p, d) => p * d, 1)), dims: c.dims };
  }
  return { feeds, carried, bytes: encodeModel((multi ? multi.graph : step.graph).toModel()) };
}

const HYPER = { ...DEFAULT_HYPER, momentum: 0.9 };

/**
 * The issue's case compiled as `lucerna train` compiles it: ResNet-18 (10 classes, 64×64), SGD
 * momentum 0.9, BatchNorm in train mode; the source graph and its step graph at `batch`.
 *
 * @example
 * ```ts
 * const { source, step } = await issueStep(32);
 * ```
 */
export async function issueStep(batch: number): Promise<{ source: Graph; step: StepGraph }> {
  const source = graphFromBytes(createModel('resnet18', { classes: 10, input: [3, 64, 64] }));
  const { trainable } = splitParameters(source);
  const prepared = await prepareGraph(nodeRuntime, source, [batch, 3, 64, 64]);
  const step = await buildStepGraph(nodeRuntime, prepared, { trainable, optimizer: sgd, hyper: HYPER, bn: 'train', loss: [softmaxCrossEntropy()] });
  return { source, step };
}

/**
 * Profiles `runs` ORT runs of `perRun` training steps each (after one warm-up run) of the issue's
 * case at `batch` with `threads` intra-op threads.
 *
 * @example
 * ```ts
 * const p = await profileTrainStep(32, 3, 2); // p.categories['optimizer update (element-wise)']
 * ```
 */
export async function profileTrainStep(batch: number, runs: number, threads: number, perRun = 1): Promise<StepProfile> {
  const { source, step } = await issueStep(batch);
  const prefix = `train-step-profile-${process.pid}`;
  const ort = createRequire(import.meta.url)('onnxruntime-node');
  const { feeds: raw, carried, bytes } = stepFeeds(step, source, batch, perRun);
  const session = await ort.InferenceSession.create(bytes, {
    enableProfiling: true,
    profileFilePrefix: join(tmpdir(), prefix),
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  const feeds: Record<string, unknown> = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)]));
  let wall = 0;
  for (let i = 0; i < runs + 1; i++) {
    const t0 = performance.now();
    const out = await session.run(feeds);
    if (i > 0) wall += performance.now() - t0;
    // feed the new values back, as the trainer does
    for (const c of carried) feeds[c.input] = out[c.output];
  }
  session.endProfiling();
  await session.release();
  // onnxruntime-node returns nothing from endProfiling: take the newest file with the prefix
  const file = readdirSync(tmpdir())
    .filter((f) => f.startsWith(prefix))
    .sort()
    .at(-1);
  if (!file) throw new Error('ORT wrote no profile');
  const trace = JSON.parse(readFileSync(join(tmpdir(), file), 'utf8')) as TraceEvent[];
  rmSync(join(tmpdir(), file));
  const modelRuns = trace.filter((e) => e.name === 'model_run').sort((a, b) => a.ts - b.ts);
  const first = modelRuns[1]?.ts ?? 0;
  const steps = runs * perRun;
  const events: NodeEvent[] = trace
    .filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.ts >= first && e.args?.op_name !== 'Loop')
    .map((e) => ({
      name: e.name.replace(/_kernel_time$/, ''),
      op: e.args?.op_name ?? '?',
      dur: e.dur,
      shapes: (e.args?.input_type_shape ?? []).map((t) => JSON.stringify(Object.values(t)[0])).join(' '),
      parallel: ranParallel(e.args?.thread_scheduling_stats),
    }));
  const categories: Record<string, number> = {};
  for (const e of events) {
    const c = categoryOf(e.name, e.op);
    categories[c] = (categories[c] ?? 0) + e.dur / 1000 / steps;
  }
  const kernelMs = events.reduce((a, e) => a + e.dur, 0) / 1000 / steps;
  const modelRunMs = modelRuns.slice(1).reduce((a, e) => a + e.dur, 0) / 1000 / steps;
  const single = events.some((e) => e.parallel !== undefined)
    ? events.filter((e) => e.parallel === false).reduce((a, e) => a + e.dur, 0) / 1000 / steps
    : undefined;
  return {
    nodes: step.graph.nodes.length,
    runs: steps,
    perRun,
    wallMs: wall / steps,
    modelRunMs,
    kernelMs,
    categories,
    ...(single === undefined ? {} : { singleThreadedMs: single }),
    events,
  };
}
