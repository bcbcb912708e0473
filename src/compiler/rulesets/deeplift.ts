/**
 * The DeepLift rule set (Shrikumar et al. 2017, https://arxiv.org/abs/1704.02685), rescale rule.
 *
 * Batch layout: the compiled batch holds the inputs and their references together, rows
 * `[x_1..x_B, r_1..r_B]`. Non-linear rules read the forward values of both halves and multiply the
 * incoming gradient by the multipliers m = Δy/Δx (the same for both halves); linear ops (Conv,
 * Gemm, Add, BatchNormalization, pooling by averaging, reshapes…) keep their standard rules, which
 * are exact multipliers already. Seeding the input half with a one-hot and the reference half with
 * zeros, (x − r) · gradient[:B] is the DeepLift attribution, and it sums to f(x) − f(r).
 * Compiled with `rows: 'first-half'` (what the method does), the forward still runs on the 2B rows
 * but the seed and the whole backward only on the B input rows: the rules read the references
 * through the context (`compiler/first-half.ts`), and no backward work is spent on rows whose seed is zero.
 *
 * Covered non-linearities: Relu, LeakyRelu, PRelu, Elu, Clip (ReLU6), HardSigmoid, HardSwish,
 * Sigmoid, Tanh, Softmax, LogSoftmax, MaxPool, GlobalMaxPool, and the product of two activations
 * (Mul, e.g. SiLU or squeeze-excitation gates). Other non-linear ops (Div of two activations, Exp,
 * Erf, Pow…) keep their plain gradients, as in Captum; the method's `delta` then shows the
 * completeness error.
 *
 * Differences from Captum's `DeepLift` (0.8): Clip/ReLU6 gets the rescale rule (Captum leaves
 * `nn.ReLU6` alone, so on MobileNets it returns input × gradient); the MaxPool rule always applies
 * (Captum's has no effect after an `nn.ReLU` module); Softmax is decomposed exactly instead of
 * mean-subtracted.
 */
import { mulRule } from '../rules/arithmetic.js';
import { grad0, unbroadcast } from '../rules/util.js';
import { extendRuleSet, type VjpContext, type VjpRule } from '../vjp.js';
import { deepliftActivationRules } from './deeplift-activations.js';
import { deepliftGlobalMaxPoolRule, deepliftMaxPoolRule } from './deeplift-pooling.js';
import { deepliftLogSoftmaxRule, deepliftSoftmaxRule } from './deeplift-softmax.js';
import { isPaired, pairOf, perRow } from './deeplift-util.js';
import { standardRules } from './standard.js';

/** (t(x) + t(r))/2, laid out as the backward's rows. */
function pairMean(ctx: VjpContext, tensor: string): string {
  const [a, r] = pairOf(ctx, tensor);
  return perRow(ctx, ctx.b.op('Mul', [ctx.b.op('Add', [a, r]), ctx.b.scalar(0.5)]));
}

/**
 * Mul of two activations, y = a·b: Δy = Δa·(b(x) + b(r))/2 + Δb·(a(x) + a(r))/2 exactly (the
 * two-player Shapley split of the product), so dA = dY·mean(b) and dB = dY·mean(a). A product with a
 * constant is linear and keeps the standard rule.
 *
 * @example
 * ```ts
 * const [dA, dB] = deepliftMulRule(ctx); // SiLU: x · Sigmoid(x)
 * ```
 */
export const deepliftMulRule: VjpRule = (ctx) => {
  const [a, b] = [ctx.input(0), ctx.input(1)];
  if (!ctx.needsGrad(0) || !ctx.needsGrad(1) || !isPaired(ctx, a) || !isPaired(ctx, b)) return mulRule(ctx);
  const dY = grad0(ctx);
  const out = ctx.shape(ctx.output(0));
  const dA = unbroadcast(ctx.b, ctx.b.op('Mul', [dY, pairMean(ctx, b)]), out, ctx.shape(a));
  const dB = unbroadcast(ctx.b, ctx.b.op('Mul', [dY, pairMean(ctx, a)]), out, ctx.shape(b));
  return [dA, dB];
};

/**
 * DeepLift (rescale rule): the standard rules with the non-linear ones replaced by multipliers
 * computed from the input half and the reference half of the batch (see the file comment).
 *
 * @example
 * ```ts
 * const compiled = await model.compile({ seeds: ['logits'], rules: deepliftRules }, [2 * B, 3, 224, 224]);
 * ```
 */
export const deepliftRules = extendRuleSet(
  standardRules,
  'deeplift',
  {
    ...deepliftActivationRules,
    MaxPool: deepliftMaxPoolRule,
    GlobalMaxPool: deepliftGlobalMaxPoolRule,
    Softmax: deepliftSoftmaxRule,
    LogSoftmax: deepliftLogSoftmaxRule,
    Mul: deepliftMulRule,
  },
  'DeepLift rescale: batch rows [inputs, references]',
);
