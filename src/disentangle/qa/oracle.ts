/**
 * A simulated user for active question-answering (Zhang et al. 2017, "Mining Object Parts from
 * CNNs via Active Question-Answering", CVPR, https://arxiv.org/abs/1704.03173), built from the
 * landmarks of `lucerna dataset parts` (`landmarks.csv`): it answers `yes` when the guess lies
 * within `radius` image pixels of the true landmark, `here` at the true landmark otherwise, and
 * `absent` when the image has no such landmark (the part was not drawn). So it drives the loop
 * headless, exactly as a careful person would.
 */
import { parseCsv } from '../../datasets/parts/csv.js';
import { LucernaError } from '../../errors.js';
import type { QaOracle } from './loop.js';
import type { Point, QaAnswer } from './types.js';

/** Options of {@link simulatedUser}. */
export interface SimulatedUserOptions {
  /** The true landmark of an image (image px), or null/undefined when the part is not visible. */
  readonly truth: (image: string) => Point | null | undefined;
  /** A guess within this distance (image px) is accepted with `yes`. */
  readonly radius: number;
}

/**
 * The simulated user as an oracle for {@link runActiveQa}.
 *
 * @example
 * ```ts
 * const heads = landmarkTable(await readFile('parts/landmarks.csv', 'utf8'), 'head');
 * const oracle = simulatedUser({ truth: (id) => heads.get(id), radius: 4 });
 * ```
 */
export function simulatedUser(options: SimulatedUserOptions): QaOracle {
  if (!(options.radius >= 0)) throw new LucernaError('BAD_OPTION', `The acceptance radius must be ≥ 0, got ${options.radius}`);
  return (question): QaAnswer => {
    const t = options.truth(question.image);
    if (!t) return { kind: 'absent' };
    if (Math.hypot(question.guess[0] - t[0], question.guess[1] - t[1]) <= options.radius) return { kind: 'yes' };
    return { kind: 'here', x: t[0], y: t[1] };
  };
}

/**
 * One landmark of every image in `landmarks.csv` text (`image,landmark,x,y`, image px).
 *
 * @example
 * ```ts
 * landmarkTable('image,landmark,x,y\na.png,head,3,4\n', 'head').get('a.png'); // [3, 4]
 * ```
 */
export function landmarkTable(text: string, landmark: string): Map<string, Point> {
  const out = new Map<string, Point>();
  parseCsv(text, ['image', 'landmark', 'x', 'y'], 'landmarks.csv').forEach((r, i) => {
    if (r.landmark !== landmark) return;
    const x = Number(r.x);
    const y = Number(r.y);
    if (r.x === '' || r.y === '' || !Number.isFinite(x) || !Number.isFinite(y))
      throw new LucernaError('BAD_FILE', `landmarks.csv line ${i + 2}: the landmark is not a number`);
    out.set(r.image as string, [x, y]);
  });
  return out;
}
