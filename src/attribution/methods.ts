/**
 * The registry of attribution methods by CLI name.
 */
import { unknownNameError } from '../errors.js';
import { cam, gradCam, gradCamPlusPlus, guidedGradCam, hiResCam, layerCam } from './cam/index.js';
import { deepLift } from './gradient/deeplift.js';
import { deconvnet, guidedBackprop } from './gradient/guided-backprop.js';
import { guidedBackpropClip } from './gradient/guided-backprop-clip.js';
import { inputXGradient } from './gradient/input-x-gradient.js';
import { integratedGradients } from './gradient/integrated-gradients.js';
import { saliency } from './gradient/saliency.js';
import { ablationCam } from './perturbation/ablation-cam.js';
import { featureAblation } from './perturbation/feature-ablation.js';
import { kernelShap } from './perturbation/kernel-shap.js';
import { lime } from './perturbation/lime.js';
import { meaningfulPerturbation } from './perturbation/meaningful-perturbation.js';
import { occlusion } from './perturbation/occlusion.js';
import { rise } from './perturbation/rise.js';
import { scoreCam } from './perturbation/score-cam.js';
import { noiseTunnel } from './smoothing.js';
import type { AttributionMethod, CommonOptions } from './types.js';

/**
 * SmoothGrad over saliency.
 *
 * @example
 * ```ts
 * await smoothGrad.attribute(model, x, { samples: 8, stdev: 0.1, seed: 1 });
 * ```
 */
export const smoothGrad = noiseTunnel(saliency, 'smoothgrad', 'smoothgrad');
/** SmoothGrad² over saliency. @example `await smoothGradSquared.attribute(model, x, { samples: 8 })` */
export const smoothGradSquared = noiseTunnel(saliency, 'smoothgrad-sq', 'smoothgrad-sq');
/** VarGrad over saliency. @example `await varGrad.attribute(model, x, { samples: 8 })` */
export const varGrad = noiseTunnel(saliency, 'vargrad', 'vargrad');

// biome-ignore lint/suspicious/noExplicitAny: a registry of methods with different option types
type AnyMethod = AttributionMethod<any>;

const registry = new Map<string, AnyMethod>();

/**
 * Adds a method to the registry (methods from other modules register themselves here).
 *
 * @example
 * ```ts
 * registerMethod(myMethod);
 * ```
 */
export function registerMethod(method: AnyMethod): void {
  registry.set(method.name, method);
}

for (const m of [
  saliency,
  inputXGradient,
  integratedGradients,
  smoothGrad,
  smoothGradSquared,
  varGrad,
  guidedBackprop,
  guidedBackpropClip,
  deconvnet,
  gradCam,
  gradCamPlusPlus,
  layerCam,
  hiResCam,
  cam,
  guidedGradCam,
  deepLift,
  scoreCam,
  ablationCam,
  meaningfulPerturbation,
  occlusion,
  featureAblation,
  rise,
  lime,
  kernelShap,
])
  registerMethod(m);

/** Names of every registered method. @example `methodNames().includes('grad-cam') // true` */
export function methodNames(): string[] {
  return [...registry.keys()];
}

/**
 * Every registered method's descriptor, in registry order (the CLI, the docs table and the
 * conformance tests enumerate this).
 *
 * @example
 * ```ts
 * methodList().filter((m) => m.needs.layer).map((m) => m.name); // ['grad-cam', …, 'score-cam', 'ablation-cam']
 * ```
 */
export function methodList(): AttributionMethod<CommonOptions>[] {
  return [...registry.values()];
}

/**
 * A method by name, with close names suggested for a typo.
 *
 * @example
 * ```ts
 * const m = getMethod('integrated-gradients');
 * ```
 */
export function getMethod(name: string): AttributionMethod<CommonOptions> {
  const m = registry.get(name);
  if (!m) throw unknownNameError('method', name, methodNames());
  return m;
}
