/**
 * `Model`: a loaded ONNX model on a runtime, with cached forward sessions and compiled
 * forward+backward plans. Every method of Lucerna works through it.
 */
import { differentiate } from '../compiler/differentiate.js';
import { resolveRuleSet, ruleSets } from '../compiler/rulesets/index.js';
import type { RuleSet } from '../compiler/vjp.js';
import { LucernaError } from '../errors.js';
import { graphFromBytes } from '../onnx/builder.js';
import type { Graph, ValueInfo } from '../onnx/graph.js';
import { encodeModel } from '../onnx/proto.js';
import { formatShapeList } from '../onnx/shape-format.js';
import { assertFinite, sizeOf, type Tensor } from '../tensor/tensor.js';
import { type CompiledNames, compileKey, openCompiled } from './compile-cache.js';
import { withHeads } from './heads.js';
import { forwardGraph, type PreparedGraph, prepareGraph } from './prepare.js';
import { getDefaultRuntime, outputTensor, type Runtime, type RuntimeSession, type SessionOptions } from './runtime.js';

/** A forward pass's names in a compile store entry: no seeds, gradients or reads. */
const FORWARD_NAMES: CompiledNames = { seeds: new Map(), gradients: new Map(), reads: new Map(), shapes: new Map() };

/** Options of {@link Model.load}. */
export interface ModelOptions extends SessionOptions {
  /** The engine (default: the one registered by `lucerna/node`). */
  readonly runtime?: Runtime;
  /** A display name for messages (default: "the model"). */
  readonly name?: string;
  /**
   * What names these bytes in compile cache keys instead of a digest of all of them (which costs
   * about 0.1 s of CPU on a 45 MB model): `loadModelFile` passes the file's identity (inode, size,
   * times and sampled blocks). It must change whenever the bytes do.
   */
  readonly identity?: string;
}

/**
 * What to compute in one compiled forward+backward run.
 *
 * @example
 * ```ts
 * const plan: GradientPlan = { seeds: ['logits'], wrt: ['input'], read: ['/relu2/Relu_output_0'], rules: 'guided' };
 * ```
 */
export interface GradientPlan {
  /**
   * Tensors where the gradient is seeded. Each gets a seed input of the tensor's shape, supplied at run time.
   * `softmax(<tensor>)` names a softmax over the last axis of a tensor, added after the forward graph;
   * `log_softmax(<tensor>)` its logarithm (seeding it with −one-hot gives the cross-entropy loss gradient).
   */
  readonly seeds: readonly string[];
  /** Tensors to differentiate with respect to (default: the model input). */
  readonly wrt?: readonly string[];
  /** Intermediate tensors to return as activations. */
  readonly read?: readonly string[];
  /** Backward rule set: 'standard' (default), 'guided', 'deconvnet', or a custom {@link RuleSet} (cached by its name). */
  readonly rules?: string | RuleSet;
  /**
   * `input` (default): seeds are supplied at run time. `argmax`: each seed is the one-hot of its
   * tensor's arg-max, computed in the graph — the predicted class, explained in one run.
   */
  readonly seedMode?: 'input' | 'argmax';
  /**
   * `all` (default): the backward runs on every row. `first-half`: the forward runs on every row,
   * the seeds and the backward on the first half only (DeepLift: inputs, then their references,
   * whose gradients are not needed); seeds and gradients then have half the rows.
   */
  readonly rows?: 'all' | 'first-half';
  /**
   * Further backward passes in the same run: each shares the forward pass and the seeds, with its
   * own rule set and `wrt` (guided Grad-CAM: Grad-CAM's standard gradient at a layer and guided
   * backprop's at the input, one forward pass for both). Their gradients are in
   * {@link GradientResult.branches}, in this order.
   */
  readonly also?: readonly GradientBranch[];
}

/** A further backward pass of a {@link GradientPlan}. */
export interface GradientBranch {
  /** Its rule set (built-in name or a custom {@link RuleSet}). */
  readonly rules: string | RuleSet;
  /** Tensors to differentiate with respect to (default: the model input). */
  readonly wrt?: readonly string[];
}

/** The result of one compiled run. */
export interface GradientResult {
  /** The model outputs, by name. */
  readonly outputs: Record<string, Tensor>;
  /** Requested activations, by tensor name. */
  readonly activations: Record<string, Tensor>;
  /** Gradients, by `wrt` tensor name. */
  readonly gradients: Record<string, Tensor>;
  /** The gradients of each of the plan's `also` passes, by `wrt` tensor name (empty without them). */
  readonly branches: Record<string, Tensor>[];
}

function shapeKey(shape: readonly number[]): string {
  return shape.join('x');
}

/**
 * A compiled gradient plan for one input shape: one ORT session running forward and backward.
 */
export class CompiledGradient {
  constructor(
    private readonly session: RuntimeSession,
    /** The plan, with defaults filled in. */
    readonly plan: Required<Omit<GradientPlan, 'rules' | 'also'>> & {
      readonly rules: RuleSet;
      readonly also: readonly { readonly rules: RuleSet; readonly wrt: readonly string[] }[];
    },
    /** Input shape this plan was compiled for. */
    readonly inputShape: readonly number[],
    private readonly names: {
      input: string;
      outputs: readonly string[];
      seeds: ReadonlyMap<string, string>;
      gradients: ReadonlyMap<string, string>;
      reads: ReadonlyMap<string, string>;
      shapes: ReadonlyMap<string, readonly number[]>;
      branches?: readonly ReadonlyMap<string, string>[];
    },
    private readonly validate: (x: Tensor) => void,
  ) {}

  /** Shape of a seeded, read or differentiated tensor (a `first-half` plan's seeds and gradients have half the rows). */
  shapeOf(tensor: string): readonly number[] {
    const s = this.names.shapes.get(tensor);
    if (!s) throw new LucernaError('UNKNOWN_TENSOR', `No shape known for "${tensor}"`);
    return s;
  }

  /**
   * Runs forward and backward once.
   *
   * @example
   * ```ts
   * const { gradients } = await compiled.run({ input: x, seeds: { logits: oneHot } });
   * ```
   */
  async run(args: { input: Tensor; seeds?: Readonly<Record<string, Tensor>>; inputChecked?: boolean }): Promise<GradientResult> {
    // Callers that build rows from an input they already checked (batching loops) skip the scan.
    if (!args.inputChecked) this.validate(args.input);
    if (shapeKey(args.input.shape) !== shapeKey(this.inputShape)) {
      throw new LucernaError('BAD_SHAPE', `This plan was compiled for input ${formatShapeList(this.inputShape)}, got ${formatShapeList(args.input.shape)}`);
    }
    const feeds: Record<string, { data: Float32Array; shape: readonly number[] }> = { [this.names.input]: args.input };
    for (const [tensor, inputName] of this.names.seeds) {
      const seed = args.seeds?.[tensor];
      const shape = this.shapeOf(tensor);
      if (!seed) throw new LucernaError('BAD_PLAN', `Missing seed for "${tensor}"`, `Pass seeds: { "${tensor}": <tensor of shape ${formatShapeList(shape)}> }`);
      if (shapeKey(seed.shape) !== shapeKey(shape)) {
        throw new LucernaError('BAD_SHAPE', `The seed for "${tensor}" has shape ${formatShapeList(seed.shape)}, expected ${formatShapeList(shape)}`);
      }
      feeds[inputName] = seed;
    }
    const raw = await this.session.run(feeds);
    const pick = (m: ReadonlyMap<string, string>) => {
      const out: Record<string, Tensor> = {};
      for (const [tensor, name] of m) out[tensor] = outputTensor(raw[name], name);
      return out;
    };
    const outputs: Record<string, Tensor> = {};
    for (const o of this.names.outputs) outputs[o] = outputTensor(raw[o], o);
    return { outputs, activations: pick(this.names.reads), gradients: pick(this.names.gradients), branches: (this.names.branches ?? []).map(pick) };
  }

  /** Releases the session. The owning {@link Model} also does this on dispose. */
  dispose(): Promise<void> {
    return this.session.dispose();
  }
}

/**
 * A loaded ONNX model. Cheap to query; sessions are created lazily per input shape and cached.
 * Dispose it (or use `await using`) to release every native session deterministically.
 *
 * @example
 * ```ts
 * await using model = await Model.load(bytes);
 * const { logits } = await model.run(x);
 * const compiled = await model.compile({ seeds: ['logits'] }, x.shape);
 * ```
 */
export class Model implements AsyncDisposable {
  private readonly prepared = new Map<string, Promise<PreparedGraph>>();
  private readonly forwardSessions = new Map<string, Promise<RuntimeSession>>();
  private readonly compiled = new Map<string, Promise<CompiledGradient>>();
  private disposed = false;

  private constructor(
    /** The model's graph as loaded. */
    readonly graph: Graph,
    readonly runtime: Runtime,
    readonly options: SessionOptions,
    /** Display name for messages. */
    readonly name: string,
    /**
     * The digest of the loaded bytes, when the runtime has a compile store (the model's identity in
     * its keys). Computed at the first compile: hashing a 45 MB model costs ~0.1 s, which commands
     * that never compile a gradient (dissect, LIME…) should not pay.
     */
    private readonly digestOf?: () => string,
  ) {}

  private digestMemo?: string;

  private get digest(): string | undefined {
    if (this.digestMemo === undefined && this.digestOf) this.digestMemo = this.digestOf();
    return this.digestMemo;
  }

  /**
   * The model's identity in compile cache keys (the file identity it was loaded with, else a digest
   * of its bytes), or undefined when its runtime has no compile store: for callers that keep their
   * own sessions in {@link Runtime.compileStore} (the dissection trunk).
   *
   * @example `const id = model.cacheIdentity; // undefined without a compile store`
   */
  get cacheIdentity(): string | undefined {
    return this.digest;
  }

  /**
   * Parses ONNX bytes. Errors: NOT_ONNX, TRUNCATED_FILE, UNSUPPORTED_OPSET, UNSUPPORTED_MODEL.
   *
   * @example
   * ```ts
   * const model = await Model.load(new Uint8Array(await (await fetch('model.onnx')).arrayBuffer()));
   * ```
   */
  static async load(bytes: Uint8Array, options: ModelOptions = {}): Promise<Model> {
    const name = options.name ?? 'the model';
    const graph = graphFromBytes(bytes, name);
    const runtime = options.runtime ?? getDefaultRuntime();
    graph.primaryInput();
    const store = runtime.compileStore;
    const identity = options.identity;
    const digestOf = store ? () => (identity === undefined ? store.digest(bytes) : identity) : undefined;
    return new Model(graph, runtime, sessionOptionsOf(options), name, digestOf);
  }

  /**
   * Wraps an edited or composed graph (one float input) as a model, without re-encoding it. The
   * graph is used as is: do not edit it afterwards.
   *
   * @example
   * ```ts
   * const composed = Model.fromGraph(composeGraphs(prefix, prepared.graph), { runtime: model.runtime, ...model.options });
   * ```
   */
  static fromGraph(graph: Graph, options: ModelOptions = {}): Model {
    graph.primaryInput();
    return new Model(graph, options.runtime ?? getDefaultRuntime(), sessionOptionsOf(options), options.name ?? 'the model');
  }

  /** The image input of the model. */
  get input(): ValueInfo {
    return this.graph.primaryInput();
  }

  /** Names of the model outputs. */
  get outputNames(): string[] {
    return this.graph.outputs.map((o) => o.name);
  }

  /**
   * The concrete input shape for a batch of `batch` (throws when a non-batch dim is symbolic).
   *
   * @example
   * ```ts
   * model.inputShape(8); // [8, 3, 224, 224]
   * ```
   */
  inputShape(batch = 1): number[] {
    const dims = this.input.dims;
    return dims.map((d, i) => {
      if (i === 0) return batch;
      if (typeof d !== 'number') {
        throw new LucernaError('BAD_SHAPE', `The model input ${formatShapeList(dims)} has a symbolic dim ${i}`, 'Pass an input tensor to fix it');
      }
      return d;
    });
  }

  /**
   * Checks an input tensor: rank, static dims and finite values. `what` names the tensor in
   * errors ("Input", or "Baseline" for a reference fed to the model).
   */
  validateInput(x: Tensor, what = 'Input'): void {
    this.assertLive();
    const dims = this.input.dims;
    const expected = formatShapeList(['N', ...dims.slice(1)]);
    if (x.shape.length !== dims.length || dims.some((d, i) => i > 0 && typeof d === 'number' && d !== x.shape[i])) {
      throw new LucernaError(
        'BAD_SHAPE',
        `${what} has shape ${formatShapeList(x.shape)} but ${this.name} expects ${expected}`,
        `Pass a float32 tensor of shape ${expected}`,
      );
    }
    if (x.data.length !== sizeOf(x.shape)) {
      throw new LucernaError('BAD_SHAPE', `${what} data has ${x.data.length} values, shape ${formatShapeList(x.shape)} needs ${sizeOf(x.shape)}`);
    }
    assertFinite(x, what);
  }

  /** The graph prepared for one input shape (cached). */
  prepare(inputShape: readonly number[]): Promise<PreparedGraph> {
    this.assertLive();
    const key = shapeKey(inputShape);
    let p = this.prepared.get(key);
    if (!p) {
      p = prepareGraph(this.runtime, this.graph, inputShape, this.options);
      this.prepared.set(key, p);
      p.catch(() => this.prepared.delete(key));
    }
    return p;
  }

  /**
   * Runs the plain forward pass and returns every model output.
   *
   * @example
   * ```ts
   * const { logits } = await model.run(x);
   * ```
   */
  async run(x: Tensor): Promise<Record<string, Tensor>> {
    this.validateInput(x);
    const session = await this.forwardSession(x.shape);
    const raw = await session.run({ [this.input.name]: x });
    const out: Record<string, Tensor> = {};
    for (const o of this.outputNames) out[o] = outputTensor(raw[o], o);
    return out;
  }

  /**
   * Session options for one input shape. Unless the caller chose, sessions for batches above one
   * do not spin: batched callers (IG steps, perturbation chunks) do JavaScript work between runs,
   * and spinning ORT threads take the cores from it (IG on MobileNetV2: 607 → 564 ms), while a
   * batched run itself is long enough not to miss the wake-up latency spinning saves.
   */
  private sessionOptions(shape: readonly number[]): SessionOptions {
    return this.options.spinning === undefined && (shape[0] ?? 1) > 1 ? { ...this.options, spinning: false } : this.options;
  }

  private forwardSession(shape: readonly number[]): Promise<RuntimeSession> {
    const key = shapeKey(shape);
    let s = this.forwardSessions.get(key);
    if (!s) {
      s = this.openForward(shape);
      this.forwardSessions.set(key, s);
      s.catch(() => this.forwardSessions.delete(key));
    }
    return s;
  }

  /**
   * The forward session of one input shape, on the normalised graph without shape probes
   * ({@link forwardGraph}: ONNX Runtime infers a forward pass's shapes itself). With a compile store
   * (the CLI's disk cache) the graph is stored as ONNX Runtime optimised it, like a compiled plan,
   * so a later process also skips the optimisation (on the bundled MobileNetV2 at batch 32, the
   * probes cost about 1 s and the optimisation about 0.5 s: together more than a third of a
   * default LIME call).
   */
  private async openForward(shape: readonly number[]): Promise<RuntimeSession> {
    const options = this.sessionOptions(shape);
    const store = this.runtime.compileStore;
    const key =
      this.digest === undefined || store === undefined
        ? undefined
        : compileKey(store.tag, {
            modelDigest: this.digest,
            seeds: [],
            wrt: [],
            read: [],
            rules: 'none: the forward pass',
            seedMode: 'forward',
            inputShape: [...shape],
            optimization: options.optimization ?? 'all',
          });
    const build = async () => ({ bytes: encodeModel(forwardGraph(this.graph, shape).toModel()), names: FORWARD_NAMES });
    return (await openCompiled(this.runtime, key, { seeds: [], wrt: [], read: [] }, build, options)).session;
  }

  /**
   * Compiles a forward+backward plan for one input shape (cached per plan and shape).
   *
   * @example
   * ```ts
   * const compiled = await model.compile({ seeds: ['logits'], rules: 'guided' }, [4, 3, 32, 32]);
   * ```
   */
  compile(plan: GradientPlan, inputShape: readonly number[] = this.inputShape(1)): Promise<CompiledGradient> {
    this.assertLive();
    const rules = resolveRuleSet(plan.rules);
    const seedMode = plan.seedMode ?? 'input';
    const rows = plan.rows ?? 'all';
    const also = (plan.also ?? []).map((a) => ({ rules: resolveRuleSet(a.rules), wrt: [...(a.wrt ?? [this.input.name])] }));
    const full = { seeds: [...plan.seeds], wrt: [...(plan.wrt ?? [this.input.name])], read: [...(plan.read ?? [])], rules, seedMode, rows, also };
    const alsoKey = also.map((a) => [a.rules.name, a.wrt]);
    const key = JSON.stringify([
      full.seeds,
      full.wrt,
      full.read,
      rules.name,
      seedMode,
      shapeKey(inputShape),
      ...(also.length > 0 ? [alsoKey] : []),
      ...(rows === 'all' ? [] : [rows]),
    ]);
    let c = this.compiled.get(key);
    if (!c) {
      c = this.buildCompiled(full, inputShape);
      this.compiled.set(key, c);
      c.catch(() => this.compiled.delete(key));
    }
    return c;
  }

  private async buildCompiled(plan: CompiledGradient['plan'], inputShape: readonly number[]): Promise<CompiledGradient> {
    const options = this.sessionOptions(inputShape);
    // Custom rule sets are not cached: their name does not identify their rules.
    const builtIn = [plan.rules, ...plan.also.map((a) => a.rules)].every((r) => ruleSets[r.name] === r);
    const key =
      this.digest === undefined || this.runtime.compileStore === undefined || !builtIn
        ? undefined
        : compileKey(this.runtime.compileStore.tag, {
            modelDigest: this.digest,
            seeds: plan.seeds,
            wrt: plan.wrt,
            read: plan.read,
            rules: plan.rules.name,
            seedMode: plan.seedMode,
            ...(plan.rows === 'all' ? {} : { rows: plan.rows }),
            ...(plan.also.length > 0 ? { also: plan.also.map((a) => ({ rules: a.rules.name, wrt: a.wrt })) } : {}),
            inputShape: [...inputShape],
            optimization: options.optimization ?? 'all',
          });
    const build = async () => {
      const prepared = withHeads(await this.prepare(inputShape), [...plan.seeds, ...plan.read]);
      const first = differentiate(prepared.graph, prepared, plan, plan.rules);
      let d = first;
      const branches: ReadonlyMap<string, string>[] = [];
      for (const [i, a] of plan.also.entries()) {
        const branchPlan = { seeds: plan.seeds, wrt: a.wrt, read: [], seedMode: plan.seedMode, rows: plan.rows };
        d = differentiate(d.graph, prepared, branchPlan, a.rules, { tag: `b${i + 1}`, seedGradients: first.seedGradients });
        branches.push(d.gradientOutputs);
      }
      const shapes = new Map<string, readonly number[]>();
      // Under a first-half plan, seeds and gradients have half the batch's rows (reads keep all).
      const halved = (s: readonly number[]) => (plan.rows === 'first-half' && s[0] === inputShape[0] ? [(s[0] as number) / 2, ...s.slice(1)] : s);
      for (const t of plan.read) {
        const s = prepared.shapes.get(t);
        if (s) shapes.set(t, s);
      }
      for (const t of [...plan.seeds, ...plan.wrt, ...plan.also.flatMap((a) => a.wrt)]) {
        const s = prepared.shapes.get(t);
        if (s) shapes.set(t, halved(s));
      }
      const names = { seeds: first.seedInputs, gradients: first.gradientOutputs, reads: first.readOutputs, shapes, branches };
      return { bytes: encodeModel(d.graph.toModel()), names };
    };
    const { session, names } = await openCompiled(this.runtime, key, { ...plan, also: plan.also.map((a) => a.wrt) }, build, options);
    const all = { input: this.input.name, outputs: this.outputNames, ...names };
    return new CompiledGradient(session, plan, inputShape, all, (x) => this.validateInput(x));
  }

  /** Every tensor name of the graph (for layer pickers and error suggestions). */
  tensorNames(): string[] {
    return this.graph.tensorNames();
  }

  /** Releases every native session. Safe to call twice. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const sessions = [...this.forwardSessions.values()];
    const compiled = [...this.compiled.values()];
    this.forwardSessions.clear();
    this.compiled.clear();
    this.prepared.clear();
    await Promise.all([
      ...sessions.map((s) => s.then((x) => x.dispose()).catch(() => undefined)),
      ...compiled.map((c) => c.then((x) => x.dispose()).catch(() => undefined)),
    ]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  private assertLive(): void {
    if (this.disposed) throw new LucernaError('DISPOSED', `${this.name} was disposed`);
  }
}

function sessionOptionsOf(options: SessionOptions): SessionOptions {
  return { threads: options.threads, optimization: options.optimization, spinning: options.spinning };
}
