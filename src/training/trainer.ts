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
  readonly session: RuntimeSession;
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
        const session = await this.options.runtime.createSession(encodeModel(step.graph.toModel()), this.options.session);
        for (const c of step.carried) this.dims.set(c.input, c.dims);
        return { step, session, prepared };
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
    const { step, session } = await this.compile(batch);
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
        g.inputs.push({ name: c.input, elemType: DataType.FLOAT, dims: [...c.dims] });
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

  /** Static dims of every carried tensor (parameters, optimizer slots, running statistics) compiled so far. */
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
    this.compiled.clear();
    this.predictors.clear();
    for (const c of all) await (await c.catch(() => undefined))?.session.dispose();
    for (const p of predictors) await (await p.catch(() => undefined))?.dispose();
  }
}
