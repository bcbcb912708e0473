/**
 * Learning-rate schedules as pure functions of the step: constant, step decay (PyTorch's `StepLR`,
 * stepped per epoch) and cosine annealing (`CosineAnnealingLR` to 0 over the steps after warm-up,
 * Loshchilov & Hutter 2017, https://arxiv.org/abs/1608.03983), each with an optional linear warm-up.
 */

/** A schedule's description (plain data, so it is saved with a checkpoint). */
export interface Schedule {
  readonly kind: 'constant' | 'step' | 'cosine';
  /** Step decay: multiply by `gamma` every `stepEpochs` epochs (defaults 0.1 and 1). */
  readonly gamma?: number;
  readonly stepEpochs?: number;
  /** Linear warm-up over this many steps: step t (0-based) runs at lr·(t + 1)/warmup. */
  readonly warmupSteps?: number;
}

/** Where the run is: 0-based step, steps per epoch and total steps. */
export interface ScheduleAt {
  readonly step: number;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
}

/**
 * The learning rate of one step.
 *
 * @example
 * ```ts
 * learningRate({ kind: 'cosine', warmupSteps: 10 }, 0.1, { step: 5, stepsPerEpoch: 100, totalSteps: 1000 }); // 0.06
 * ```
 */
export function learningRate(schedule: Schedule, base: number, at: ScheduleAt): number {
  const warmup = schedule.warmupSteps ?? 0;
  if (at.step < warmup) return (base * (at.step + 1)) / warmup;
  switch (schedule.kind) {
    case 'constant':
      return base;
    case 'step': {
      const epoch = Math.floor(at.step / Math.max(1, at.stepsPerEpoch));
      return base * (schedule.gamma ?? 0.1) ** Math.floor(epoch / Math.max(1, schedule.stepEpochs ?? 1));
    }
    case 'cosine': {
      const span = Math.max(1, at.totalSteps - warmup);
      const t = Math.min(at.step - warmup, span);
      return (base * (1 + Math.cos((Math.PI * t) / span))) / 2;
    }
  }
}
