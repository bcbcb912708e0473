/**
 * The vector-Jacobian rule interface. A rule sees one forward node and the gradients of its
 * outputs, emits backward nodes through a builder, and returns the gradients of its inputs.
 *
 * Rules are grouped by op family in `rules/`; a {@link RuleSet} maps op types to rules, and the
 * guided, deconvnet (and later DeepLift, LRP) sets override a few entries of the standard one.
 */
import type { GraphBuilder } from '../onnx/builder.js';
import type { Graph } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/proto.js';

/** What a rule can see and do for one forward node. */
export interface VjpContext {
  /** The forward node. */
  readonly node: NodeProto;
  /** Emits backward nodes and constants into the augmented graph. */
  readonly b: GraphBuilder;
  /** The (prepared, static-shaped) forward graph. */
  readonly graph: Graph;
  /** Default-domain opset of the augmented graph (at least 18). */
  readonly opset: number;
  /** Name of input `i` of the node ('' when absent). */
  input(i: number): string;
  /** Name of output `i` of the node. */
  output(i: number): string;
  /** Static dims of a forward tensor (activation or initializer). */
  shape(tensor: string): readonly number[];
  /** The gradient arriving at output `i`, or undefined when none flows there. */
  gradOutput(i: number): string | undefined;
  /** True when the plan needs the gradient of input `i`. */
  needsGrad(i: number): boolean;
  /**
   * Only when the backward runs on the first half of the batch (a `first-half` plan: DeepLift's
   * input rows): the second half's rows of a forward tensor named by {@link input} or
   * {@link output}, or undefined when it carries no batch rows. Then `input`, `output` and `shape`
   * give the first half.
   */
  readonly reference?: (tensor: string) => string | undefined;
}

/**
 * A vector-Jacobian product rule. Returns one entry per node input: the gradient tensor's name,
 * or undefined when that input needs none.
 */
export type VjpRule = (ctx: VjpContext) => readonly (string | undefined)[];

/**
 * A named table from op type to rule. Rule sets compose: `extend(standard, { Relu: guidedRelu })`.
 *
 * @example
 * ```ts
 * const myRules = extendRuleSet(standardRules, 'my-rules', { Relu: (ctx) => [ctx.gradOutput(0)] });
 * ```
 */
export interface RuleSet {
  readonly name: string;
  readonly rules: Readonly<Record<string, VjpRule>>;
  /**
   * Optional: how the batch is laid out for this rule set. DeepLift-style sets run the input and
   * its reference in one batch; they set this so the planner knows.
   */
  readonly description?: string;
}

/**
 * A new rule set: `base` with some rules replaced or added.
 *
 * @example
 * ```ts
 * const guided = extendRuleSet(standardRules, 'guided', { Relu: guidedRelu });
 * ```
 */
export function extendRuleSet(base: RuleSet, name: string, overrides: Readonly<Record<string, VjpRule>>, description?: string): RuleSet {
  return { name, rules: { ...base.rules, ...overrides }, description: description ?? base.description };
}
