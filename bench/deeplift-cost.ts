/**
 * DeepLift's per-call cost against its arithmetic floor (section `deeplift` of `npm run bench`).
 * The floor is one forward pass over the 2 rows (input and reference) plus one backward pass over
 * the input row, estimated in the same run as fwd(2 rows) + fwd+bwd(1 row) − fwd(1 row). Each row
 * is timed as CPU per call (user + system, one thread, so it can be read on a busy machine) and
 * as the wall median. Alone: `node --import tsx bench/deeplift-cost.ts [calls]` prints the table.
 */
import { performance } from 'node:perf_hooks';
import { deepLift } from '../src/attribution/gradient/deeplift.js';
import { deepliftRules } from '../src/compiler/rulesets/deeplift.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { BENCH_MODELS, loadBenchModel, oneHotRows, randomInput } from './models.js';
import { type Section, table } from './report.js';
import type { SectionOptions } from './sections.js';
import { median, ms, ratio } from './timing.js';

interface Cost {
  /** CPU milliseconds per call. */
  readonly cpu: number;
  /** Median wall milliseconds per call. */
  readonly wall: number;
}

/** CPU and wall time per call of `f`, over `calls` calls after one warm-up call. */
async function costOf(f: () => Promise<unknown>, calls: number): Promise<Cost> {
  await f();
  const walls: number[] = [];
  const start = process.cpuUsage();
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await f();
    walls.push(performance.now() - t0);
  }
  const used = process.cpuUsage(start);
  return { cpu: (used.user + used.system) / 1000 / calls, wall: median(walls) };
}

/** The rows of one model's table. */
async function modelRows(name: string, calls: number): Promise<string[][]> {
  const bm = BENCH_MODELS.find((m) => m.name === name);
  if (!bm) throw new Error(`unknown bench model ${name}`);
  await using model = await loadBenchModel(bm, 1);
  const x = randomInput(model.inputShape(1));
  const two: Tensor = { data: new Float32Array(2 * x.data.length), shape: [2, ...x.shape.slice(1)] };
  two.data.set(x.data);
  const full = await model.compile({ seeds: ['logits'] }, x.shape);
  const classes = full.shapeOf('logits')[1] as number;
  const seedOne = oneHotRows(1, classes);
  const seedTwo = oneHotRows(2, classes);
  seedTwo.data.fill(0, classes);
  const plainHalf = await model.compile({ seeds: ['logits'], rows: 'first-half' }, two.shape);
  const allRows = await model.compile({ seeds: ['logits'], rules: deepliftRules }, two.shape);
  const inputRows = await model.compile({ seeds: ['logits'], rules: deepliftRules, rows: 'first-half' }, two.shape);
  const fwd1 = await costOf(() => model.run(x), calls);
  const fwd2 = await costOf(() => model.run(two), calls);
  const fb1 = await costOf(() => full.run({ input: x, seeds: { logits: seedOne } }), calls);
  const floor: Cost = { cpu: fwd2.cpu + fb1.cpu - fwd1.cpu, wall: fwd2.wall + fb1.wall - fwd1.wall };
  const measured: [string, Cost][] = [
    ['forward, 1 row', fwd1],
    ['forward, 2 rows', fwd2],
    ['forward+backward, 1 row (standard rules)', fb1],
    ['**floor**: fwd(2 rows) + bwd(1 row)', floor],
    ['one graph: fwd 2 rows, standard bwd on row 1', await costOf(() => plainHalf.run({ input: two, seeds: { logits: seedOne } }), calls)],
    ['DeepLift graph, bwd on both rows (before)', await costOf(() => allRows.run({ input: two, seeds: { logits: seedTwo } }), calls)],
    ['DeepLift graph, bwd on the input row (now)', await costOf(() => inputRows.run({ input: two, seeds: { logits: seedOne } }), calls)],
    ['`deepLift.attribute`, target given', await costOf(() => deepLift.attribute(model, x, { target: 1 }), calls)],
    ['`deepLift.attribute`, predicted class', await costOf(() => deepLift.attribute(model, x), calls)],
  ];
  return measured.map(([label, c]) => [name, label, ms(c.cpu), ratio(c.cpu / floor.cpu), ms(c.wall), ratio(c.wall / floor.wall)]);
}

/** Runs the section. */
export async function benchDeepliftCost(o: SectionOptions): Promise<Section> {
  const calls = o.quick ? 3 : Math.max(5, o.reps);
  const rows: string[][] = [];
  for (const name of ['resnet18', 'mobilenet_v2']) rows.push(...(await modelRows(name, calls)));
  const body = `Batch 1, 224×224, 1 intra-op thread, zeros reference, ${calls} calls per row after a warm-up: CPU per call (user + system) and the wall median. DeepLift runs the input and its reference as 2 rows; the forward pass needs both (the multipliers are differences of the two), the backward only the input row, so the floor is fwd(2 rows) + bwd(1 row), from the rows above it in the same run. "Before" is the graph the method ran until session 8 (backward over both rows, the reference's seeded with zeros); neither \`attribute\` row runs a forward pass of its own.\n\n${table(
    ['model', 'run', 'CPU (ms)', 'CPU / floor', 'wall (ms)', 'wall / floor'],
    rows,
  )}`;
  return { title: "DeepLift's per-call cost against its floor", body };
}

if (process.argv[1]?.endsWith('deeplift-cost.ts')) {
  const calls = Number(process.argv[2] ?? 10);
  console.log((await benchDeepliftCost({ reps: calls, quick: false })).body);
}
