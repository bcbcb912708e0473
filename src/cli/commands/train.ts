/**
 * `lucerna train [MODEL] (--inputs x.npy --labels y.npy | --dataset <dir> | --dataset fashion-mnist) … --out trained.onnx`:
 * trains a classifier (softmax cross-entropy) with the compiled one-run training step and writes
 * a checkpoint: the same ONNX graph with trained initializers, its sidecar, and the optimizer state
 * for `--resume`. Ctrl-C finishes the current run (up to 4 steps, fit.ts), writes the checkpoint and exits 130. The work
 * is in `train-run.ts`, loaded when the command runs.
 */
import { defineCommand } from '../command.js';
import * as flags from '../flags.js';
import type { TrainOptions } from './train-run.js';

/**
 * `lucerna train`: fit a model's parameters to labelled data.
 *
 * @example
 * ```sh
 * lucerna train m.onnx --inputs x.npy --labels y.npy --epochs 3 --out trained.onnx
 * ```
 */
export const trainCommand = defineCommand<Partial<TrainOptions> & { readonly out: string }>({
  name: 'train',
  description: 'train a classifier (softmax cross-entropy) and write a checkpoint ONNX with its sidecar and optimizer state',
  arguments: [flags.modelArgument()],
  output: { kind: 'file', extensions: ['.onnx'] },
  // Stopping means finishing the step and writing the checkpoint, which can take a while.
  interruptGraceMs: 60_000,
  options: [
    { flags: '--inputs <x.npy>', description: 'inputs [N, …] as .npy (any numeric dtype)' },
    { flags: '--labels <y.npy>', description: 'integer labels [N] as .npy' },
    {
      flags: '--dataset <dir|fashion-mnist>',
      description:
        'an image folder (one subfolder per class), a Broden folder with a classes/ view (index.csv split column: train/val), or fashion-mnist (the Debian package dataset-fashion-mnist)',
    },
    { flags: '--batch-size <n>', description: 'samples per step (default 4)' },
    { flags: '--epochs <n>', description: 'passes over the training set (default 1)' },
    flags.steps('exactly this many optimizer steps (1 = the first batch only)'),
    { flags: '--no-shuffle', description: 'take the batches in file order' },
    flags.seed(0),
    { flags: '--optimizer <name>', description: 'sgd (default), adam or adamw' },
    { flags: '--lr <f>', description: 'learning rate (default 0.01 for sgd, 0.001 for adam and adamw)' },
    { flags: '--momentum <f>', description: 'SGD momentum (default 0)' },
    { flags: '--nesterov', description: 'Nesterov momentum (SGD)' },
    { flags: '--weight-decay <f>', description: 'weight decay (L2 for sgd and adam, decoupled for adamw; default 0)' },
    { flags: '--schedule <kind>', description: 'learning-rate schedule: step or cosine (default: constant)' },
    { flags: '--warmup <steps>', description: 'linear warm-up steps (default 0)' },
    { flags: '--gamma <f>', description: 'step schedule: factor per decay (default 0.1)' },
    { flags: '--step-epochs <n>', description: 'step schedule: epochs between decays (default 1)' },
    { flags: '--label-smoothing <f>', description: 'label smoothing of the cross-entropy (default 0)' },
    { flags: '--bn <mode>', description: 'BatchNorm: train (default: batch statistics, running stats updated) or frozen (running stats unchanged)' },
    { flags: '--freeze <pattern...>', description: 'keep parameters whose name matches this glob fixed (repeatable)' },
    { flags: '--val <fraction>', description: 'hold out this fraction for validation (default 0 with --inputs, 0.1 with --dataset)' },
    { flags: '--val-dir <dir>', description: 'validation images in their own ImageFolder (instead of --val)' },
    { flags: '--no-crop', description: 'image folders: no random resized crop' },
    { flags: '--no-flip', description: 'image folders: no horizontal flip' },
    { flags: '--jitter <f>', description: 'image folders: colour jitter strength (default 0.1; 0 turns it off)' },
    { flags: '--resume', description: "continue from the model's optimizer state (<model>.optimizer.onnx)" },
    { flags: '--optimization <level>', description: 'ONNX Runtime graph optimisation: disabled, basic, extended or all (default)' },
    { flags: '--interpretable <tensors>', description: 'interpretable CNN: mask these conv outputs (comma-separated) and add the filter loss' },
    {
      flags: '--interpretable-mode <mode>',
      description: 'interpretable CNN: single (default: object vs. none) or multi (each filter to the object class it fires for most; none owns no filter)',
    },
    {
      flags: '--filter-loss <form>',
      description: "interpretable CNN: exact (default: the paper's −MI, differentiated exactly) or approx (the ICNN authors' approximate gradient)",
    },
    { flags: '--filter-loss-weight <f>', description: "interpretable CNN: weight of each layer's filter loss (default 1)" },
    { flags: '--tau <f>', description: 'interpretable CNN: template scale τ of the filter loss (default 0.5/n²; the mask uses T/τ, peak 1)' },
    { flags: '--beta <f>', description: 'interpretable CNN: template fall-off β (default 4)' },
    { flags: '--alpha <f>', description: 'interpretable CNN: prior mass of the positive templates α (default n²/(1+n²))' },
    {
      flags: '--mask-centre <rule>',
      description: "interpretable CNN: centroid (default: the activation-weighted centre, as the authors' code) or argmax (the paper's text)",
    },
    {
      flags: '--beta-mode <mode>',
      description: "interpretable CNN: adaptive (default: per-filter β pulled to the maps' spread, as the authors' code) or fixed",
    },
    {
      flags: '--filter-assign <when>',
      description:
        "interpretable CNN, multi mode: step (default: filters reassigned every step by their running peak, as the authors' code), once, or relative (every step, each class's peaks over their mean over the filters; not the authors' rule)",
    },
    {
      flags: '--filter-loss-schedule <s>',
      description: "interpretable CNN: epoch (default: the weight divided by the epoch number, as the authors' code) or constant",
    },
    { flags: '--no-report', description: 'do not write the HTML report (<out>.report.html: curves, confusion matrix, settings)' },
    flags.out('<file>', 'checkpoint to write (.onnx)', true),
    flags.json('print the run summary as JSON'),
  ],
  run: async (ctx, [model], f) => (await import('./train-run.js')).runTrain(ctx, model, f),
});
