/**
 * Redirected ReLU gradients for feature visualization, as Lucid's `redirected_relu_grad` and
 * `redirected_relu6_grad` (Olah, Mordvintsev & Schubert 2017, "Feature Visualization",
 * https://distill.pub/2017/feature-visualization/, and `lucid/optvis/overrides`).
 *
 * A unit whose ReLU is off passes no gradient, so an optimisation that starts where the objective's
 * units are all off (a deep channel on a grey image) never moves. While the switch input is 1, a
 * ReLU (or Clip/ReLU6) whose ordinary gradient is zero for the whole sample passes the incoming
 * gradient where it would push an off unit back towards its active range: dY > 0 below the lower
 * bound, dY < 0 above the upper bound (the objective is maximised). Samples where some gradient
 * already flows keep the ordinary one, and with the switch at 0 the rules are the standard ones;
 * Lucid switches off after 16 steps.
 */
import { clipRule, reluRule } from '../rules/activations.js';
import { reduceKeep } from '../rules/elementwise-util.js';
import { grad0, maskGrad } from '../rules/util.js';
import { extendRuleSet, type RuleSet, type VjpContext, type VjpRule } from '../vjp.js';
import { standardRules } from './standard.js';

/** `ordinary + gate · extra`, where gate = switch · [the sample's ordinary gradient is all zero]. */
function redirect(ctx: VjpContext, ordinary: string, extra: string, switchInput: string): string {
  const { b } = ctx;
  const rank = ctx.shape(ctx.output(0)).length;
  if (rank < 2) return ordinary;
  const axes = Array.from({ length: rank - 1 }, (_, i) => i + 1);
  const silent = b.op('Cast', [b.op('Equal', [reduceKeep(b, 'ReduceMax', b.op('Abs', [ordinary]), axes), b.scalar(0)])], { to: 1 });
  return b.op('Add', [ordinary, b.op('Mul', [b.op('Mul', [silent, switchInput]), extra])]);
}

function redirectedRelu(switchInput: string): VjpRule {
  return (ctx) => {
    const { b } = ctx;
    const [ordinary] = reluRule(ctx) as [string];
    const off = b.op('LessOrEqual', [ctx.output(0), b.scalar(0)]);
    return [redirect(ctx, ordinary, maskGrad(b, b.op('Relu', [grad0(ctx)]), off), switchInput)];
  };
}

function redirectedClip(switchInput: string): VjpRule {
  return (ctx) => {
    const { b } = ctx;
    const [ordinary, ...bounds] = clipRule(ctx) as [string, ...(string | undefined)[]];
    const y = ctx.output(0);
    const [lo, hi] = [ctx.input(1), ctx.input(2)];
    const dY = grad0(ctx);
    const parts: string[] = [];
    if (lo) parts.push(maskGrad(b, b.op('Max', [dY, b.scalar(0)]), b.op('LessOrEqual', [y, lo])));
    if (hi) parts.push(maskGrad(b, b.op('Min', [dY, b.scalar(0)]), b.op('GreaterOrEqual', [y, hi])));
    if (parts.length === 0) return [ordinary, ...bounds];
    const extra = parts.length === 1 ? (parts[0] as string) : b.op('Add', parts);
    return [redirect(ctx, ordinary, extra, switchInput), ...bounds];
  };
}

/**
 * The standard rules with redirected ReLU and Clip gradients, switched on by the scalar float
 * graph input `switchInput` (1 on, 0 off). The caller declares that input on the differentiated
 * graph and feeds it every run.
 *
 * @example
 * ```ts
 * const rules = redirectedReluRules('lucerna/redirect');
 * const d = differentiate(graph, probe, plan, rules);
 * d.graph.inputs.push({ name: 'lucerna/redirect', elemType: DataType.FLOAT, dims: [] });
 * ```
 */
export function redirectedReluRules(switchInput: string): RuleSet {
  return extendRuleSet(
    standardRules,
    'redirected-relu',
    { Relu: redirectedRelu(switchInput), Clip: redirectedClip(switchInput) },
    'standard rules with redirected ReLU gradients (Lucid)',
  );
}
