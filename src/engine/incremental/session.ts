/**
 * Running an {@link IncrementalPlan}: one small session per prefix op, fed crops of its inputs
 * (clean values with the recomputed boxes pasted in, padding outside the map), and one session for
 * the suffix, fed full maps assembled the same way. The results equal a full forward pass of the
 * edited inputs; only the arithmetic outside the changed boxes is skipped.
 */
import { LucernaError } from '../../errors.js';
import { DataType, encodeModel } from '../../onnx/proto.js';
import { subgraph } from '../../onnx/suffix.js';
import { sizeOf, type Tensor } from '../../tensor/tensor.js';
import type { Model } from '../model.js';
import { outputTensor, type RuntimeSession } from '../runtime.js';
import { cropVariant, type Range } from './local-ops.js';
import { type Box, changedBoxes, cropRange, type IncrementalPlan, type PrefixStep } from './plan.js';

/** One edited row: the sample it edits and the box of the input it changes. */
export interface LocalEdit {
  readonly sample: number;
  readonly box: Box;
}

/** A recomputed box of one tensor for a chunk: values [B, C, h, w] and each row's top-left corner. */
interface Patch {
  readonly data: Float32Array;
  readonly starts: Int32Array;
  readonly size: readonly [number, number];
}

/** Where a crop reads from: a clean map of one sample (or an edited input row) and an optional patch. */
interface CropSource {
  readonly map: Float32Array;
  readonly mapOffset: number;
  readonly patch?: Patch;
  readonly row: number;
}

/**
 * Copies rows × cols of a [C, H, W] map into `out` (C × rows × cols from `outOffset`), with
 * `padValue` outside the map and the patch's values where it covers the crop.
 */
function fillCrop(out: Float32Array, outOffset: number, shape: readonly number[], rows: Range, cols: Range, src: CropSource, padValue: number): void {
  const [, channels, height, width] = shape as [number, number, number, number];
  const [y0, y1] = rows;
  const x0 = cols[0];
  const cropW = cols[1] - x0;
  // Crop columns [inStart, inEnd) lie inside the map; the rest is padding.
  const inStart = Math.min(cropW, Math.max(0, -x0));
  const inEnd = Math.max(inStart, Math.min(cropW, width - x0));
  const patch = src.patch;
  const py = patch ? (patch.starts[2 * src.row] as number) : 0;
  const px = patch ? (patch.starts[2 * src.row + 1] as number) : 0;
  const [ph, pw] = patch ? patch.size : [0, 0];
  // Crop columns [pStart, pEnd) come from the patch on its rows.
  const pStart = Math.max(px, x0) - x0;
  const pEnd = Math.min(px + pw, cols[1]) - x0;
  const pData = patch ? patch.data : src.map;
  const { map, mapOffset, row } = src;
  // Element loops with hoisted bounds, not subarray copies: the rows are short (a few dozen values).
  let o = outOffset;
  for (let c = 0; c < channels; c++) {
    const mapChannel = mapOffset + c * height * width + x0;
    const patchChannel = ((row * channels + c) * ph - py) * pw - px + x0;
    for (let y = y0; y < y1; y++, o += cropW) {
      if (y < 0 || y >= height) {
        out.fill(padValue, o, o + cropW);
        continue;
      }
      for (let k = 0; k < inStart; k++) out[o + k] = padValue;
      for (let k = inEnd; k < cropW; k++) out[o + k] = padValue;
      const fromPatch = y >= py && y < py + ph && pEnd > pStart;
      const m = mapChannel + y * width;
      if (!fromPatch) {
        for (let k = inStart; k < inEnd; k++) out[o + k] = map[m + k] as number;
        continue;
      }
      const p = patchChannel + y * pw;
      for (let k = inStart; k < pStart; k++) out[o + k] = map[m + k] as number;
      for (let k = pStart; k < pEnd; k++) out[o + k] = pData[p + k] as number;
      for (let k = pEnd; k < inEnd; k++) out[o + k] = map[m + k] as number;
    }
  }
}

/** True when a patch has this size and these corners, so it is already the crop a pointwise op needs. */
function samePlacement(patch: Patch, size: readonly [number, number], starts: Int32Array): boolean {
  if (patch.size[0] !== size[0] || patch.size[1] !== size[1]) return false;
  for (let k = 0; k < starts.length; k++) if (patch.starts[k] !== starts[k]) return false;
  return true;
}

/** Each row's box corner [row, col] for a step's output; refuses a change larger than the plan's box. */
function boxStarts(plan: IncrementalPlan, step: PrefixStep, boxes: readonly ReadonlyMap<string, Box>[]): Int32Array {
  const outShape = plan.shapes.get(step.output) as readonly number[];
  const size = plan.sizes.get(step.output) as readonly [number, number];
  const starts = new Int32Array(2 * boxes.length);
  boxes.forEach((b, r) => {
    const box = b.get(step.output) as Box;
    if (box[0][1] - box[0][0] > size[0] || box[1][1] - box[1][0] > size[1]) {
      // A box larger than the plan was sized for would leave changed values outside the recomputed box.
      throw new LucernaError('BAD_PLAN', `Edit ${r} changes more of "${step.output}" than the plan was made for`, 'Plan with every box the run will use');
    }
    starts[2 * r] = boxStart(box[0], size[0], outShape[2] as number);
    starts[2 * r + 1] = boxStart(box[1], size[1], outShape[3] as number);
  });
  return starts;
}

/** Where each row's fixed-size box of a tensor starts: the changed box, moved inside the map if needed. */
function boxStart(changed: Range, size: number, dim: number): number {
  return changed[0] >= changed[1] ? 0 : Math.min(changed[0], dim - size);
}

/**
 * Sessions for one plan at a fixed batch, and the clean activations of the samples being edited.
 *
 * @example
 * ```ts
 * const inc = await IncrementalSession.open(model, plan, x);
 * const { logits } = await inc.run(editedRows, edits); // equals model.run(editedRows)
 * await inc.dispose();
 * ```
 */
export class IncrementalSession {
  private constructor(
    private readonly plan: IncrementalPlan,
    private readonly steps: readonly RuntimeSession[],
    private readonly suffix: RuntimeSession,
    private readonly clean: ReadonlyMap<string, Float32Array>,
    readonly batch: number,
  ) {}

  private readonly buffers = new Map<string, Float32Array>();

  /** Opens the sessions and computes the clean prefix activations of every sample of `x`. */
  static async open(model: Model, plan: IncrementalPlan, x: Tensor): Promise<IncrementalSession> {
    const batch = (plan.shapes.get(plan.input) as readonly number[])[0] as number;
    const sessions: RuntimeSession[] = [];
    try {
      for (const step of plan.steps)
        sessions.push(await model.runtime.createSession(encodeModel(stepGraph(plan, step).toModel()), { ...model.options, spinning: false }));
      const suffix = await model.runtime.createSession(encodeModel(plan.suffix.toModel()), { ...model.options, spinning: false });
      sessions.push(suffix);
      const clean = await cleanActivations(model, plan, x);
      return new IncrementalSession(plan, sessions.slice(0, -1), suffix, clean, batch);
    } catch (e) {
      await Promise.all(sessions.map((s) => s.dispose()));
      throw e;
    }
  }

  /**
   * The plan's outputs for `rows` ([count ≤ batch, C, H, W]: each row a sample of `x` edited only
   * inside its edit's box), as a full forward pass of the rows would give them ([batch, …]; rows
   * past `count` are padding).
   */
  async run(rows: Tensor, edits: readonly LocalEdit[]): Promise<Record<string, Tensor>> {
    const { plan, batch } = this;
    const inputShape = plan.shapes.get(plan.input) as readonly number[];
    const per = sizeOf(inputShape.slice(1));
    const count = edits.length;
    if (count < 1 || count > batch || rows.shape[0] !== count) {
      throw new LucernaError('BAD_SHAPE', `An incremental run takes 1 to ${batch} rows with one edit each, got ${rows.shape[0]} rows and ${count} edits`);
    }
    const rowData = this.buffer('rows', batch * per);
    rowData.set(rows.data.subarray(0, count * per));
    const padded = Array.from({ length: batch }, (_, r) => edits[r < count ? r : 0] as LocalEdit);
    const boxes = padded.map((e) => changedBoxes(plan.steps, plan.shapes, plan.input, e.box));
    for (let r = count; r < batch; r++) rowData.copyWithin(r * per, 0, per);
    const patches = new Map<string, Patch>();
    const source = (tensor: string, r: number): CropSource => {
      if (tensor === plan.input) return { map: rowData, mapOffset: r * per, row: r };
      const shape = plan.shapes.get(tensor) as readonly number[];
      const mapPer = sizeOf(shape.slice(1));
      return { map: this.clean.get(tensor) as Float32Array, mapOffset: (padded[r] as LocalEdit).sample * mapPer, patch: patches.get(tensor), row: r };
    };
    for (let i = 0; i < plan.steps.length; i++) {
      const step = plan.steps[i] as PrefixStep;
      const starts = boxStarts(plan, step, boxes);
      const out = await (this.steps[i] as RuntimeSession).run(this.stepFeeds(i, starts, patches, source), [step.output]);
      patches.set(step.output, {
        data: outputTensor(out[step.output], step.output).data,
        starts,
        size: plan.sizes.get(step.output) as readonly [number, number],
      });
    }
    const feeds: Record<string, { data: Float32Array; shape: readonly number[] }> = {};
    for (const tensor of plan.frontier) {
      const shape = plan.shapes.get(tensor) as readonly number[];
      if (tensor === plan.input) {
        feeds[tensor] = { data: rowData, shape };
        continue;
      }
      const mapPer = sizeOf(shape.slice(1));
      const full = this.buffer(`frontier:${tensor}`, batch * mapPer);
      for (let r = 0; r < batch; r++) fillCrop(full, r * mapPer, shape, [0, shape[2] as number], [0, shape[3] as number], source(tensor, r), 0);
      feeds[tensor] = { data: full, shape };
    }
    const out = await this.suffix.run(
      feeds,
      plan.suffix.outputs.map((o) => o.name),
    );
    const result: Record<string, Tensor> = {};
    for (const o of plan.suffix.outputs) result[o.name] = outputTensor(out[o.name], o.name);
    return result;
  }

  /** The crops step `i` reads: clean values with the recomputed boxes pasted in, one per row. */
  private stepFeeds(
    i: number,
    starts: Int32Array,
    patches: ReadonlyMap<string, Patch>,
    source: (tensor: string, row: number) => CropSource,
  ): Record<string, { data: Float32Array; shape: readonly number[] }> {
    const step = this.plan.steps[i] as PrefixStep;
    const size = this.plan.sizes.get(step.output) as readonly [number, number];
    const feeds: Record<string, { data: Float32Array; shape: readonly number[] }> = {};
    for (const input of step.inputs) {
      const inShape = this.plan.shapes.get(input) as readonly number[];
      const channels = inShape[1] as number;
      const crop = (r: number, axis: 0 | 1): Range => cropRange(step, starts[2 * r + axis] as number, size[axis], axis);
      const [ch, cw] = [crop(0, 0), crop(0, 1)].map((r) => r[1] - r[0]) as [number, number];
      const shape = [this.batch, channels, ch, cw];
      const patch = patches.get(input);
      if (step.op.kind === 'pointwise' && patch && samePlacement(patch, size, starts)) {
        // An op after the one that produced this box, over the same box: the patch is the crop.
        feeds[input] = { data: patch.data, shape };
        continue;
      }
      const buffer = this.buffer(`${i}:${input}`, this.batch * channels * ch * cw);
      const padValue = step.op.kind === 'window' ? step.op.padValue : 0;
      for (let r = 0; r < this.batch; r++) fillCrop(buffer, r * channels * ch * cw, inShape, crop(r, 0), crop(r, 1), source(input, r), padValue);
      feeds[input] = { data: buffer, shape };
    }
    return feeds;
  }

  /** A reusable scratch array (crops and assembled maps are rebuilt in full on every chunk). */
  private buffer(key: string, length: number): Float32Array {
    let b = this.buffers.get(key);
    if (!b || b.length !== length) {
      b = new Float32Array(length);
      this.buffers.set(key, b);
    }
    return b;
  }

  /** Releases every session. Safe to call twice. */
  async dispose(): Promise<void> {
    await Promise.all([...this.steps, this.suffix].map((s) => s.dispose()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/** A one-node graph running `step` on crops: inputs [B, C, crop rows, crop cols]. */
function stepGraph(plan: IncrementalPlan, step: PrefixStep) {
  const [h, w] = plan.sizes.get(step.output) as readonly [number, number];
  const crop = [cropRange(step, 0, h, 0), cropRange(step, 0, w, 1)].map((r) => r[1] - r[0]);
  const batch = (plan.shapes.get(step.output) as readonly number[])[0] as number;
  const dims = (t: string) => [batch, (plan.shapes.get(t) as readonly number[])[1] as number];
  return subgraph(
    plan.graph,
    [cropVariant(step.node, step.op), ...step.followers],
    step.inputs.map((name) => ({ name, elemType: DataType.FLOAT, dims: [...dims(name), ...crop] })),
    [{ name: step.output, elemType: DataType.FLOAT, dims: [...dims(step.output), h, w] }],
  );
}

/** Clean values [N, C, H, W] of every prefix tensor the steps or the suffix read (the input excepted). */
async function cleanActivations(model: Model, plan: IncrementalPlan, x: Tensor): Promise<Map<string, Float32Array>> {
  const wanted = [...new Set([...plan.steps.flatMap((s) => s.inputs), ...plan.frontier])].filter((t) => t !== plan.input);
  const n = x.shape[0] as number;
  const sample = x.shape.slice(1);
  const per = sizeOf(sample);
  const compiled = await model.compile({ seeds: [], wrt: [], read: wanted }, [1, ...sample]);
  const clean = new Map<string, Float32Array>(wanted.map((t) => [t, new Float32Array(n * sizeOf((plan.shapes.get(t) as readonly number[]).slice(1)))]));
  for (let i = 0; i < n; i++) {
    const r = await compiled.run({ input: { data: x.data.subarray(i * per, (i + 1) * per), shape: [1, ...sample] }, seeds: {}, inputChecked: true });
    for (const t of wanted) {
      const data = (r.activations[t] as Tensor).data;
      (clean.get(t) as Float32Array).set(data, i * data.length);
    }
  }
  return clean;
}
