/**
 * The animal-like figure classes of the procedural parts data set. Each class builds, from a few
 * articulation draws, its parts back to front: every part is a list of primitives (in the
 * canonical frame: facing right, y down, within radius 1 of the origin) and its landmarks (the
 * part's centre, plus eyes and tips). Parts share names across classes (head, body, tail, legs…)
 * the way Broden's part labels do.
 */
import { capsule, ellipse, mean, type Point, type Shape, triangle } from './shapes.js';

/** One part of a figure: its primitives and its landmarks, in canonical coordinates. */
export interface FigurePart {
  readonly name: string;
  readonly shapes: readonly Shape[];
  readonly landmarks: readonly (readonly [string, Point])[];
  /** True when the part may be left out of an image (then its landmarks are absent too). */
  readonly optional: boolean;
}

/** A class of figures: a name and a builder from articulation draws in [−1, 1]. */
export interface FigureClass {
  readonly name: string;
  readonly build: (articulation: () => number) => readonly FigurePart[];
}

function part(name: string, shapes: Shape[], landmarks: [string, Point][], optional = false): FigurePart {
  return { name, shapes, landmarks, optional };
}

function bird(a: () => number): FigurePart[] {
  const wing = -0.35 + 0.35 * a();
  const [l1, l2, t] = [0.1 * a(), 0.1 * a(), 0.12 * a()];
  const feet: Point[] = [
    [0.08 + l1, 0.7],
    [-0.12 + l2, 0.7],
  ];
  const tailTip: Point = [-0.95, -0.1 + t];
  return [
    part('legs', [capsule([0.05, 0.2], feet[0] as Point, 0.04), capsule([-0.1, 0.2], feet[1] as Point, 0.04)], [['legs', mean(feet)]], true),
    part(
      'tail',
      [triangle([-0.35, -0.06], [-0.95, -0.3 + t], [-0.95, 0.1 + t])],
      [
        ['tail', [-0.72, -0.09 + t * 0.6]],
        ['tail_tip', tailTip],
      ],
    ),
    part('body', [ellipse([0, 0], 0.45, 0.27)], [['body', [0, 0]]]),
    part('beak', [triangle([0.62, -0.4], [0.62, -0.26], [0.92, -0.33])], [['beak_tip', [0.92, -0.33]]], true),
    part(
      'head',
      [ellipse([0.48, -0.33], 0.18, 0.18)],
      [
        ['head', [0.48, -0.33]],
        ['eye', [0.53, -0.37]],
      ],
    ),
    part('wings', [ellipse([-0.08, -0.1], 0.34, 0.12, wing)], [['wings', [-0.08, -0.1]]]),
  ];
}

function fish(a: () => number): FigurePart[] {
  const t = 0.15 * a();
  const fin = 0.5 + 0.4 * a();
  return [
    part(
      'tail',
      [triangle([-0.45, 0], [-0.95, -0.38 + t], [-0.95, 0.38 + t])],
      [
        ['tail', [-0.78, t * 0.7]],
        ['tail_tip', [-0.95, t]],
      ],
    ),
    part('dorsal_fin', [triangle([-0.25, -0.18], [0.15, -0.2], [-0.2, -0.5 + t * 0.5])], [['dorsal_fin', [-0.1, -0.3]]], true),
    part('body', [ellipse([0, 0], 0.55, 0.27)], [['body', [0, 0]]]),
    part(
      'head',
      [ellipse([0.52, 0], 0.22, 0.21)],
      [
        ['head', [0.52, 0]],
        ['eye', [0.6, -0.07]],
      ],
    ),
    part('pectoral_fin', [ellipse([0.18, 0.12], 0.15, 0.06, fin)], [['pectoral_fin', [0.18, 0.12]]], true),
  ];
}

function quadruped(a: () => number): FigurePart[] {
  const hips: Point[] = [
    [0.33, 0.1],
    [0.2, 0.1],
    [-0.25, 0.1],
    [-0.38, 0.1],
  ];
  const feet = hips.map((h): Point => [h[0] + 0.12 * a(), 0.68]);
  const tailTip: Point = [-0.85, -0.3 + 0.15 * a()];
  return [
    part(
      'legs',
      hips.map((h, i) => capsule(h, feet[i] as Point, 0.055)),
      [['legs', mean(feet)]],
    ),
    part(
      'tail',
      [capsule([-0.47, -0.05], tailTip, 0.045)],
      [
        ['tail', mean([[-0.47, -0.05], tailTip])],
        ['tail_tip', tailTip],
      ],
      true,
    ),
    part('body', [ellipse([0, 0], 0.5, 0.22)], [['body', [0, 0]]]),
    part('neck', [capsule([0.36, -0.08], [0.56, -0.34], 0.1)], [['neck', [0.46, -0.21]]], true),
    part('ears', [triangle([0.56, -0.48], [0.66, -0.5], [0.56, -0.7])], [['ears', [0.59, -0.56]]], true),
    part(
      'head',
      [ellipse([0.66, -0.4], 0.19, 0.13, 0.2)],
      [
        ['head', [0.66, -0.4]],
        ['eye', [0.7, -0.45]],
      ],
    ),
  ];
}

function insect(a: () => number): FigurePart[] {
  const roots: Point[] = [
    [0.1, 0.08],
    [0.03, 0.1],
    [-0.04, 0.08],
  ];
  const legs = roots.flatMap((r, i): [Point, Point][] => [
    [r, [r[0] + (i - 1) * 0.3 + 0.08 * a(), 0.55]],
    [
      [r[0], -r[1]],
      [r[0] + (i - 1) * 0.3 + 0.08 * a(), -0.55],
    ],
  ]);
  const tips: Point[] = [
    [0.78, -0.38 + 0.1 * a()],
    [0.78, 0.38 + 0.1 * a()],
  ];
  return [
    part(
      'legs',
      legs.map(([p, q]) => capsule(p, q, 0.03)),
      [['legs', mean(legs.map(([, q]) => q))]],
    ),
    part(
      'antennae',
      tips.map((t) => capsule([0.42, 0], t, 0.028)),
      [['antennae', mean(tips)]],
      true,
    ),
    part(
      'abdomen',
      [ellipse([-0.42, 0], 0.38, 0.2)],
      [
        ['abdomen', [-0.42, 0]],
        ['abdomen_tip', [-0.8, 0]],
      ],
    ),
    part('thorax', [ellipse([0.05, 0], 0.18, 0.15)], [['thorax', [0.05, 0]]]),
    part(
      'head',
      [ellipse([0.33, 0], 0.13, 0.13)],
      [
        ['head', [0.33, 0]],
        ['eye', [0.38, -0.06]],
      ],
    ),
    part('wings', [ellipse([-0.28, -0.2], 0.36, 0.1, 0.35 + 0.2 * a())], [['wings', [-0.28, -0.2]]], true),
  ];
}

function turtle(a: () => number): FigurePart[] {
  const feet: Point[] = [
    [0.32 + 0.06 * a(), -0.36],
    [0.32 + 0.06 * a(), 0.36],
    [-0.3 + 0.06 * a(), -0.36],
    [-0.3 + 0.06 * a(), 0.36],
  ];
  const tailTip: Point = [-0.72, 0.1 * a()];
  const hy = 0.05 * a();
  return [
    part(
      'legs',
      feet.map((f) => ellipse(f, 0.13, 0.08, f[1] > 0 ? 0.6 : -0.6)),
      [['legs', mean(feet)]],
    ),
    part('tail', [triangle([-0.45, -0.05], [-0.45, 0.05], tailTip)], [['tail_tip', tailTip]]),
    part(
      'head',
      [ellipse([0.64, hy], 0.16, 0.12)],
      [
        ['head', [0.64, hy]],
        ['eye', [0.7, hy - 0.05]],
      ],
    ),
    part('shell', [ellipse([0, 0], 0.5, 0.36)], [['shell', [0, 0]]]),
  ];
}

/** The figure classes, in label order; `--classes K` uses the first K. @example `FIGURE_CLASSES[0].name // 'bird'` */
export const FIGURE_CLASSES: readonly FigureClass[] = [
  { name: 'bird', build: bird },
  { name: 'fish', build: fish },
  { name: 'quadruped', build: quadruped },
  { name: 'insect', build: insect },
  { name: 'turtle', build: turtle },
];

/** Every part name, sorted (the union over all classes). @example `PART_NAMES.includes('head') // true` */
export const PART_NAMES: readonly string[] = [...new Set(FIGURE_CLASSES.flatMap((c) => c.build(() => 0).map((p) => p.name)))].sort();
