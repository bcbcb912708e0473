/**
 * `Trainer`: a model being trained. It owns the compiled step sessions (one per batch size, so a
 * short last batch trains too), the current parameters, optimizer state and running statistics as
 * plain tensors, and the step counter. One {@link Trainer.step} is one ORT `run()`; its outputs are
 * fed back as the next step's inputs without being copied.
 */
import { type PreparedGraph, prepareGraph } from '../engine/prepare.js';
import { outputTensor, type Runtime, type RuntimeSession, type SessionOptions } from '../engine/runtime.js';
import { LucernaError } from '../errors.js';
import type { Graph } from '../onnx/graph.js';
import { DataType, encodeModel } from '../onnx/proto.js';
import { readFloats } from '../onnx/tensors.js';
import type { Tensor } from '../tensor/tensor.js';
import { type LossTerm, oneHotRows, softmaxCrossEntropy } from './loss.js';
import { buildMultiStepGraph, type MultiStepGraph } from './multi-step.js';
import { DEFAULT_HYPER, type Optimizer, type OptimizerHyper } from './optimizers/types.js';
import { splitParameters } from './parameters.js';
import { type BatchNormMode, buildStepGraph, type StepGraph } from './step-graph.js';

/** How to train. */
export interface TrainerOptions {
  readonly runtime: Runtime;
  readonly optimizer: Optimizer;
  readonly hyper?: Partial<OptimizerHyper>;
  readonly bn?: BatchNormMode;
  /** Globs of parameter names that stay fixed. */
  readonly freeze?: readonly string[];
  /** Loss terms (default: softmax cross-entropy). */
  readonly loss?: readonly LossTerm[];
  /** Seed of the Dropout masks, if the model has Dropout (default 0). */
  readonly seed?: number;
  /** Session options of the step (lower `optimization` for exact parity tests). */
  readonly session?: SessionOptions;
}

/** Optimizer state to resume from: the step count and every slot tensor by `slot:param`. */
export interface OptimizerState {
  readonly step: number;
  readonly tensors: ReadonlyMap<string, Float32Array>;
}

/** One batch of a multi-step run: inputs, labels and that step's learning rate. */
export interface StepBatch {
  readonly x: Tensor;
  readonly labels: ArrayLike<number>;
  readonly lr: number;
}

/** What one step reports. */
export interface TrainStepResult {
  readonly loss: number;
  /** Samples whose arg-max logit is the label. */
  readonly correct: number;
  readonly count: number;
  /** Each loss term's value on the batch, by term name (e.g. `cross_entropy`, `filter_loss:relu5`). */
  readonly terms: Readonly<Record<string, number>>;
}

interface Compiled {
  readonly step: StepGraph;
  /** The one-step session, created at its first use (a multi-step run needs only its own). */
  session(): Promise<RuntimeSession>;
  /** The prepared forward graph (BatchNorm in inference form), for {@link Trainer.predict}. */
  readonly prepared: PreparedGraph;
}

/**
 * Counts rows of `logits` [B, K] whose arg-max is the label.
 *
 * @example
 * ```ts
 * countCorrect(new Float32Array([0.1, 0.9, 0.8, 0.2]), 2, [1, 1]); // 1
 * ```
 */
export function countCorrect(logits: Float32Array, classes: number, labels: ArrayLike<number>): number {
  let correct = 0;
  for (let n = 0; n < labels.length; n++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if ((logits[n * classes + k] as number) > (logits[n * classes + best] as number)) best = k;
    if (best === labels[n]) correct++;
  }
  return correct;
}

/**
 * A model under training.
 *
 * @example
 * ```ts
 * await using trainer = await Trainer.create(graph, [3, 32, 32], { runtime: nodeRuntime, optimizer: sgd });
 * const { loss } = await trainer.step(x, labels, 0.05);
 * const trained = trainer.values(); // every parameter and running statistic
 * ```
 */
export class Trainer implements AsyncDisposable {
  private readonly compiled = new Map<number, Promise<Compiled>>();
  /** Current values of everything carried between steps, by feed name. */
  private readonly current = new Map<string, Float32Array>();
  private readonly dims = new Map<string, readonly number[]>();
  private readonly predictors = new Map<number, Promise<RuntimeSession>>();
  /** Every one-step session opened so far (dispose() releases them). */
  private readonly sessions: Promise<RuntimeSession>[] = [];
  private readonly multi = new Map<number, Promise<{ graph: MultiStepGraph; session: RuntimeSession } | undefined>>();
  private stepCount = 0;
  private disposed = false;

  private constructor(
    private readonly source: Graph,
    private readonly sampleShape: readonly number[],
    private readonly options: TrainerOptions,
    readonly trainable: readonly string[],
    readonly frozen: readonly string[],
  ) {}

  /** Splits the parameters and checks the model; sessions are compiled on the first step. */
  static async create(source: Graph, sampleShape: readonly number[], options: TrainerOptions, resume?: OptimizerState): Promise<Trainer> {
    const { trainable, frozen } = splitParameters(source, options.freeze);
    const t = new Trainer(source, sampleShape, options, trainable, frozen);
    if (resume) {
      t.stepCount = resume.step;
      for (const [k, v] of resume.tensors) t.current.set(k, v);
    }
    return t;
  }

  /** The hyper-parameters in use (PyTorch's defaults filled in). */
  get hyper(): OptimizerHyper {
    return { ...DEFAULT_HYPER, ...this.options.hyper };
  }

  /** Optimizer steps taken (including those of a resumed run). */
  get steps(): number {
    return this.stepCount;
  }

  private compile(batch: number): Promise<Compiled> {
    let c = this.compiled.get(batch);
    if (!c) {
      c = (async () => {
        const prepared = await prepareGraph(this.options.runtime, this.source, [batch, ...this.sampleShape], this.options.session);
        const step = await buildStepGraph(
          this.options.runtime,
          prepared,
          {
            trainable: this.trainable,
            optimizer: this.options.optimizer,
            hyper: this.hyper,
            bn: this.options.bn ?? 'train',
            loss: this.options.loss ?? [softmaxCrossEntropy()],
            seed: this.options.seed ?? 0,
          },
          this.options.session,
        );
        for (const carried of step.carried) {
          if (this.current.has(carried.input)) continue;
          const init = this.source.initializers.get(carried.input);
          this.current.set(carried.input, init ? readFloats(init) : new Float32Array(carried.dims.reduce((p, d) => p * d, 1)));
        }
        for (const c of step.carried) this.dims.set(c.input, c.stored ?? c.dims);
        let session: Promise<RuntimeSession> | undefined;
        const open = () => {
          if (!session) {
            session = this.options.runtime.createSession(encodeModel(step.graph.toModel()), this.options.session);
            this.sessions.push(session);
          }
          return session;
        };
        return { step, session: open, prepared };
      })();
      this.compiled.set(batch, c);
    }
    return c;
  }

  /**
   * One optimizer step on a batch: forward, loss, backward and update in one run.
   * Throws NON_FINITE_LOSS (and keeps the previous values) when the loss is not finite.
   */
  async step(x: Tensor, labels: ArrayLike<number>, lr: number): Promise<TrainStepResult> {
    if (this.disposed) throw new LucernaError('DISPOSED', 'The trainer was disposed');
    const batch = x.shape[0] as number;
    const compiled = await this.compile(batch);
    const { step } = compiled;
    const session = await compiled.session();
    const classes = this.classesOf(step);
    const feeds: Record<string, { data: Float32Array; shape: readonly number[] }> = {
      [step.input]: x,
      [step.oneHot]: { data: oneHotRows(labels, classes), shape: [batch, classes] },
    };
    const scalars = this.options.optimizer.scalars(this.hyper, { lr, step: this.stepCount + 1 });
    for (const [k, name] of Object.entries(step.scalars)) feeds[name] = { data: new Float32Array([scalars[k] as number]), shape: [] };
    for (const c of step.carried) feeds[c.input] = { data: this.current.get(c.input) as Float32Array, shape: c.dims };
    const out = await session.run(feeds);
    const loss = outputTensor(out[step.loss], step.loss).data[0] as number;
    if (!Number.isFinite(loss)) {
      throw new LucernaError(
        'NON_FINITE_LOSS',
        `The loss became ${loss} at step ${this.stepCount + 1} (learning rate ${lr})`,
        'Lower the learning rate (--lr) or check the inputs',
      );
    }
    for (const c of step.carried) this.current.set(c.input, out[c.output]?.data as Float32Array);
    this.stepCount++;
    const correct = countCorrect(outputTensor(out[step.logits], step.logits).data, classes, labels);
    const terms: Record<string, number> = {};
    for (const [name, output] of Object.entries(step.terms)) terms[name] = outputTensor(out[output], output).data[0] as number;
    return { loss, correct, count: batch, terms };
  }

  /**
   * Several optimizer steps on batches of one size, in one ORT run (multi-step.ts): the same
   * updates as calling {@link Trainer.step} on each in turn, but the parameters and optimizer state
   * cross the JS binding once. Models with Dropout run the steps one by one (their masks come from
   * per-kernel random streams). Throws NON_FINITE_LOSS, naming the first step whose loss is not
   * finite and keeping the values from before the run.
   */
  async stepMany(batches: readonly StepBatch[]): Promise<TrainStepResult[]> {
    if (this.disposed) throw new LucernaError('DISPOSED', 'The trainer was disposed');
    const first = batches[0];
    if (!first) return [];
    const batch = first.x.shape[0] as number;
    const multi = await this.compileMulti(batch);
    if (!multi || batches.some((b) => b.x.shape[0] !== batch)) {
      const out: TrainStepResult[] = [];
      for (const b of batches) out.push(await this.step(b.x, b.labels, b.lr));
      return out;
    }
    const { step } = await this.compile(batch);
    const { graph, session } = multi;
    const k = batches.length;
    const classes = this.classesOf(step);
    const sample = first.x.data.length;
    const xs = new Float32Array(k * sample);
    const oneHot = new Float32Array(k * batch * classes);
    batches.forEach((b, i) => {
      xs.set(b.x.data, i * sample);
      oneHot.set(oneHotRows(b.labels, classes), i * batch * classes);
    });
    const feeds: Record<string, { data: Float32Array; shape: readonly number[] }> = {
      [graph.input]: { data: xs, shape: [k, ...first.x.shape] },
      [graph.oneHot]: { data: oneHot, shape: [k, batch, classes] },
    };
    const perStep = batches.map((b, i) => this.options.optimizer.scalars(this.hyper, { lr: b.lr, step: this.stepCount + i + 1 }));
    for (const [name, input] of Object.entries(graph.scalars)) feeds[input] = { data: Float32Array.from(perStep, (s) => s[name] as number), shape: [k] };
    step.carried.forEach((c, i) => {
      feeds[graph.carried[i]?.input as string] = { data: this.current.get(c.input) as Float32Array, shape: c.dims };
    });
    const out = await session.run(feeds);
    const losses = outputTensor(out[graph.loss], graph.loss).data;
    const bad = Array.from(losses).findIndex((l) => !Number.isFinite(l));
    if (bad >= 0) {
      throw new LucernaError(
        'NON_FINITE_LOSS',
        `The loss became ${losses[bad]} at step ${this.stepCount + bad + 1} (learning rate ${batches[bad]?.lr})`,
        'Lower the learning rate (--lr) or check the inputs',
      );
    }
    step.carried.forEach((c, i) => {
      this.current.set(c.input, out[graph.carried[i]?.output as string]?.data as Float32Array);
    });
    this.stepCount += k;
    const logits = outputTensor(out[graph.logits], graph.logits).data;
    const terms = Object.entries(graph.terms).map(([name, output]) => [name, outputTensor(out[output], output).data] as const);
    return batches.map((b, i) => ({
      loss: losses[i] as number,
      correct: countCorrect(logits.subarray(i * batch * classes, (i + 1) * batch * classes), classes, b.labels),
      count: batch,
      terms: Object.fromEntries(terms.map(([name, v]) => [name, v[i] as number])),
    }));
  }

  /** The multi-step session of one batch size, or undefined when the model has Dropout (or a feed the loop does not know). */
  private compileMulti(batch: number): Promise<{ graph: MultiStepGraph; session: RuntimeSession } | undefined> {
    let m = this.multi.get(batch);
    if (!m) {
      m = (async () => {
        const { step } = await this.compile(batch);
        const fed = new Set([step.input, step.oneHot, ...Object.values(step.scalars), ...step.carried.map((c) => c.input)]);
        if (step.graph.nodes.some((n) => n.opType === 'Dropout') || step.graph.inputs.some((i) => !fed.has(i.name))) return undefined;
        const graph = buildMultiStepGraph(step);
        return { graph, session: await this.options.runtime.createSession(encodeModel(graph.graph.toModel()), this.options.session) };
      })();
      this.multi.set(batch, m);
    }
    return m;
  }

  private classesOf(step: StepGraph): number {
    const out = step.graph.outputs[0]?.dims[1];
    return typeof out === 'number' ? out : 0;
  }

  /** Number of classes of the model (compiles the step for `batch` if needed). */
  async classes(batch: number): Promise<number> {
    return this.classesOf((await this.compile(batch)).step);
  }

  /**
   * Logits [B, K] of a batch with the current parameters and running statistics (BatchNorm in
   * inference form, no update): what validation measures and what the checkpoint will compute.
   */
  async predict(x: Tensor): Promise<Tensor> {
    if (this.disposed) throw new LucernaError('DISPOSED', 'The trainer was disposed');
    const batch = x.shape[0] as number;
    const { step, prepared } = await this.compile(batch);
    let s = this.predictors.get(batch);
    if (!s) {
      const g = prepared.graph.clone();
      for (const c of step.carried) {
        if (!g.initializers.has(c.input)) continue;
        g.initializers.delete(c.input);
        g.inputs.push({ name: c.input, elemType: DataType.FLOAT, dims: [...(c.stored ?? c.dims)] });
      }
      g.outputs = g.outputs.slice(0, 1);
      s = this.options.runtime.createSession(encodeModel(g.toModel()), this.options.session);
      this.predictors.set(batch, s);
    }
    const session = await s;
    const feeds: Record<string, { data: Float32Array; shape: readonly number[] }> = { [step.input]: x };
    for (const c of step.carried) if (session.inputNames.includes(c.input)) feeds[c.input] = { data: this.current.get(c.input) as Float32Array, shape: c.dims };
    return outputTensor((await session.run(feeds, [step.logits]))[step.logits], step.logits);
  }

  /** Static dims of every carried tensor (parameters, optimizer slots, running statistics) compiled so far, each in its own shape. */
  carriedShapes(): ReadonlyMap<string, readonly number[]> {
    return this.dims;
  }

  /** Current parameters and running statistics, by initializer name (what a checkpoint stores). */
  values(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [k, v] of this.current) if (this.source.initializers.has(k)) out.set(k, v);
    return out;
  }

  /** Current optimizer state (what `--resume` reads back). */
  optimizerState(): OptimizerState {
    const tensors = new Map<string, Float32Array>();
    for (const [k, v] of this.current) if (!this.source.initializers.has(k)) tensors.set(k, v);
    return { step: this.stepCount, tensors };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  /** Releases every step session. Safe to call twice. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const all = [...this.compiled.values()];
    const predictors = [...this.predictors.values()];
    const multi = [...this.multi.values()];
    this.compiled.clear();
    this.predictors.clear();
    this.multi.clear();
    for (const c of all) await c.catch(() => undefined);
    for (const session of this.sessions.splice(0)) await (await session.catch(() => undefined))?.dispose();
    for (const p of predictors) await (await p.catch(() => undefined))?.dispose();
    for (const m of multi) await (await m.catch(() => undefined))?.session.dispose();
  }
}
