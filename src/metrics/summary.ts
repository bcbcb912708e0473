/**
 * Aggregating per-image evaluations into the report: mean ± standard error of every method ×
 * metric, mean deletion and insertion curves per method, and mean randomization curves. Only
 * running sums and one number per image and metric are kept, so a folder streams through.
 */
import { LucernaError } from '../errors.js';
import type { ImageEvaluation } from './evaluation.js';
import type { RandomizationMode } from './randomization.js';
import { METRICS, type MetricInfo, type MetricName } from './registry.js';
import { meanAndError } from './stats.js';

/** One cell of the method × metric table. */
export interface TableCell {
  readonly method: string;
  readonly metric: MetricName;
  readonly mean: number;
  readonly stderr: number;
  /** Images where the metric was defined. */
  readonly n: number;
  readonly better: 'lower' | 'higher';
}

/** Mean curves of several methods over one x axis. */
export interface MeanCurves {
  readonly x: readonly number[];
  /** Per method, the mean y at each x. */
  readonly methods: Readonly<Record<string, readonly number[]>>;
}

/** Mean randomization curves of several methods over the stages. */
export interface MeanRandomization {
  /** The last layer randomized at each stage. */
  readonly layers: readonly string[];
  readonly methods: Readonly<
    Record<string, { readonly spearman: readonly number[]; readonly spearmanAbs: readonly number[]; readonly ssim: readonly number[] }>
  >;
}

/** A skipped input and why. */
export interface SkippedImage {
  readonly file: string;
  readonly reason: string;
}

/** Everything the report shows (also written as JSON). */
export interface EvaluationSummary {
  readonly model: string;
  readonly methods: readonly string[];
  readonly metrics: readonly MetricInfo[];
  readonly images: { readonly evaluated: number; readonly skipped: readonly SkippedImage[] };
  readonly settings: Readonly<Record<string, unknown>>;
  readonly table: readonly TableCell[];
  readonly curves: { readonly deletion?: MeanCurves; readonly insertion?: MeanCurves };
  readonly randomization: Partial<Record<RandomizationMode, MeanRandomization>>;
}

/** Running sums of curves that share an x axis. */
class CurveSums {
  readonly sums = new Map<string, Float64Array>();
  readonly counts = new Map<string, number>();
  x?: readonly number[];

  add(method: string, x: readonly number[], y: readonly number[]): void {
    if (this.x && this.x.length !== x.length) throw new LucernaError('BAD_SHAPE', `Curves of ${this.x.length} and ${x.length} points cannot be averaged`);
    this.x ??= [...x];
    const sum = this.sums.get(method) ?? new Float64Array(y.length);
    for (let i = 0; i < y.length; i++) sum[i] = (sum[i] as number) + (y[i] as number);
    this.sums.set(method, sum);
    this.counts.set(method, (this.counts.get(method) ?? 0) + 1);
  }

  mean(method: string): number[] {
    const n = this.counts.get(method) ?? 0;
    return Array.from(this.sums.get(method) ?? [], (v) => v / n);
  }
}

const SIMILARITIES = ['spearman', 'spearmanAbs', 'ssim'] as const;

/**
 * Collects image evaluations and produces the {@link EvaluationSummary}.
 *
 * @example
 * ```ts
 * const acc = new EvaluationAccumulator(['saliency'], metrics);
 * acc.add(await session.evaluate(saliency, x, undefined, metrics));
 * const summary = acc.summary({ model: 'm.onnx', settings: {} });
 * ```
 */
export class EvaluationAccumulator {
  private readonly values = new Map<string, number[]>();
  private readonly curveSums = { deletion: new CurveSums(), insertion: new CurveSums() };
  private readonly randomSums: Partial<Record<RandomizationMode, { layers: readonly string[]; sums: Record<string, CurveSums> }>> = {};
  private readonly skipped: SkippedImage[] = [];
  private readonly evaluatedImages = new Set<string>();

  constructor(
    readonly methods: readonly string[],
    readonly metrics: readonly MetricInfo[],
  ) {}

  /** Adds one method's evaluation of one image. */
  add(image: string, e: ImageEvaluation): void {
    this.evaluatedImages.add(image);
    for (const [metric, v] of Object.entries(e.values)) {
      const key = `${e.method}\u0000${metric}`;
      const list = this.values.get(key) ?? [];
      list.push(v as number);
      this.values.set(key, list);
    }
    for (const kind of ['deletion', 'insertion'] as const) {
      const y = e.curves[kind];
      if (y && e.fractions) this.curveSums[kind].add(e.method, e.fractions, y);
    }
    for (const [mode, r] of Object.entries(e.randomization) as [RandomizationMode, NonNullable<ImageEvaluation['randomization'][RandomizationMode]>][]) {
      const entry = (this.randomSums[mode] ??= { layers: r.layers, sums: {} });
      for (const sim of SIMILARITIES) {
        const sums = (entry.sums[sim] ??= new CurveSums());
        sums.add(
          e.method,
          r.layers.map((_, i) => i),
          r[sim],
        );
      }
    }
  }

  /** Records an input that was skipped. */
  skip(file: string, reason: string): void {
    this.skipped.push({ file, reason });
  }

  /** The number of images evaluated so far. */
  get evaluated(): number {
    return this.evaluatedImages.size;
  }

  /** The summary of everything added. */
  summary(info: { model: string; settings: Readonly<Record<string, unknown>> }): EvaluationSummary {
    const table: TableCell[] = [];
    for (const method of this.methods) {
      for (const metric of this.metrics) {
        const { mean, stderr, n } = meanAndError(this.values.get(`${method}\u0000${metric.name}`) ?? []);
        table.push({ method, metric: metric.name, mean, stderr, n, better: metric.better });
      }
    }
    const meanCurves = (sums: CurveSums): MeanCurves | undefined =>
      sums.x ? { x: sums.x, methods: Object.fromEntries(this.methods.filter((m) => sums.counts.has(m)).map((m) => [m, sums.mean(m)])) } : undefined;
    const randomization: Partial<Record<RandomizationMode, MeanRandomization>> = {};
    for (const [mode, entry] of Object.entries(this.randomSums) as [RandomizationMode, { layers: readonly string[]; sums: Record<string, CurveSums> }][]) {
      const methods: Record<string, { spearman: number[]; spearmanAbs: number[]; ssim: number[] }> = {};
      for (const m of this.methods) {
        if (!entry.sums.spearman?.counts.has(m)) continue;
        methods[m] = {
          spearman: entry.sums.spearman.mean(m),
          spearmanAbs: (entry.sums.spearmanAbs as CurveSums).mean(m),
          ssim: (entry.sums.ssim as CurveSums).mean(m),
        };
      }
      randomization[mode] = { layers: entry.layers, methods };
    }
    return {
      model: info.model,
      methods: [...this.methods],
      metrics: [...this.metrics],
      images: { evaluated: this.evaluated, skipped: [...this.skipped] },
      settings: info.settings,
      table,
      curves: { deletion: meanCurves(this.curveSums.deletion), insertion: meanCurves(this.curveSums.insertion) },
      randomization,
    };
  }
}

/**
 * The table as CSV: `method,metric,mean,stderr,n,better`.
 *
 * @example
 * ```ts
 * await writeFileAtomic('report.csv', tableCsv(summary.table));
 * ```
 */
export function tableCsv(table: readonly TableCell[]): string {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const num = (v: number) => (Number.isFinite(v) ? String(v) : '');
  const rows = table.map((c) => [quote(c.method), c.metric, num(c.mean), num(c.stderr), String(c.n), c.better].join(','));
  return `${['method', 'metric', 'mean', 'stderr', 'n', 'better'].join(',')}\n${rows.join('\n')}\n`;
}

/** Metric information by name (for readers of a JSON summary). @example `metricInfo('deletion').better // 'lower'` */
export function metricInfo(name: MetricName): MetricInfo {
  return METRICS.find((m) => m.name === name) as MetricInfo;
}
