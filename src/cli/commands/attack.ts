/**
 * `lucerna attack [MODEL] --input <x.npy|image|dir> --method fgsm|pgd --epsilon F --out <adv.npy|adv.png|report.html>`:
 * an adversarial input that changes the decision (Goodfellow et al. 2015,
 * https://arxiv.org/abs/1412.6572; Madry et al. 2018, https://arxiv.org/abs/1706.06083), with
 * Captum 0.8's semantics, or with `--minimal-step` the smallest ε on a grid that does it; on a
 * folder of images, a robustness report. The work is in `attack-run.ts`, loaded when the command runs.
 */
import { attackNames } from '../../robust/index.js';
import { defineCommand } from '../command.js';
import * as flags from '../flags.js';
import type { AttackFlags } from './attack-run.js';

/**
 * `lucerna attack`: FGSM or PGD on one input, or a robustness report on a folder.
 *
 * @example
 * ```sh
 * lucerna attack model.onnx --input x.npy --method pgd --epsilon 0.03 --out adv.npy
 * ```
 */
export const attackCommand = defineCommand<AttackFlags>({
  name: 'attack',
  description: "perturb an input to change the model's decision: FGSM or PGD with Captum 0.8's semantics",
  arguments: [flags.modelArgument()],
  output: { kind: 'file' },
  options: [
    flags.input({
      value: '<path>',
      description: 'input: .npy used as is, an image (PNG, JPEG, WebP) preprocessed for the model, or a folder of images for a report',
      required: true,
    }),
    { flags: '--method <name>', description: `attack: ${attackNames().join(', ')}`, required: true },
    { flags: '--epsilon <x>', description: 'FGSM: the step; PGD: the radius of the ball (> 0); with --minimal-step, the end of the search', required: true },
    flags.out('<file>', 'output: .npy for the adversarial tensor, .png for the adversarial image, .html for the report on a folder', true),
    { flags: '--step-size <x>', description: 'PGD: size of each sign step (default 2.5·ε/steps)' },
    flags.steps('PGD: number of steps (default 10)'),
    { flags: '--norm <name>', description: 'PGD: linf (default) or l2' },
    {
      flags: '--target <class>',
      description: 'the label: the class whose loss goes up (default: the predicted class), or down with --targeted; one, or one per sample (3,1,4)',
    },
    { flags: '--targeted', description: 'lower the loss of --target instead of raising it' },
    { flags: '--random-start', description: 'PGD: start from a uniform random point of the ball (seeded)' },
    { flags: '--seed <n>', description: 'PGD: seed of --random-start (default 0)' },
    { flags: '--lower <x>', description: 'lower bound of every input value (default: unbounded)' },
    { flags: '--upper <x>', description: 'upper bound of every input value (default: unbounded)' },
    { flags: '--minimal-step <x>', description: "search the smallest ε in [0, --epsilon) on this grid, by bisection (Captum's MinParamPerturbation)" },
    { flags: '--epsilons <list>', description: 'report: the ε values of the success-rate curve (default: 8 steps up to --epsilon)' },
    flags.layer('report: the Grad-CAM layer (default: the last 4-D activation before pooling)'),
    flags.batchSize(8),
    flags.json('print targets, predictions, losses, ε and the output path as JSON'),
  ],
  run: async (ctx, [model], f) => (await import('./attack-run.js')).runAttack(ctx, model, f),
});
