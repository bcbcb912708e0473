/**
 * One subprocess smoke test per command: the real executable (bin/lucerna.js) runs each command
 * once on the tiny CNN, so exit codes, stdout and the lazily loaded implementations are proven
 * outside the test process. (Everything else about the commands is tested in-process; `attribute`'s
 * subprocess test is its Ctrl-C test in attribute-perturbation.test.ts.)
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writePartsDataset } from '../../src/datasets/node/parts-writer.js';
import { serializeNpy } from '../../src/io/npy.js';
import { assertOneLineError, bin, lucernaJson, lucernaProcess, root } from '../helpers/cli.js';
import { oracleDir } from '../helpers/oracle.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-smoke-'));

/**
 * Starts a long-running command (`serve`, `studio`) as a process, resolves once its stdout prints
 * a URL matching `pattern` (rejects if it exits first); `interrupt()` sends Ctrl-C (or the signal
 * named) and gives the exit code.
 */
async function startServer(
  args: string[],
  pattern: RegExp,
): Promise<{ url: string; stderr: () => string; interrupt: (signal?: NodeJS.Signals) => Promise<number | null> }> {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = pattern.exec(stdout);
      if (m) resolve(m[1] as string);
    });
    child.on('close', (code) => reject(new Error(`${args[0]} exited with ${code}: ${stderr}`)));
  });
  const interrupt = (signal: NodeJS.Signals = 'SIGINT') =>
    new Promise<number | null>((resolve) => {
      child.on('close', resolve);
      child.kill(signal);
    });
  return { url, stderr: () => stderr, interrupt };
}

after(() => rmSync(dir, { recursive: true, force: true }));
const model = join(oracleDir, 'tiny_cnn/model.onnx');
const coffee = join(root, 'assets/images/coffee.png');
const images = join(dir, 'images');
mkdirSync(images);
copyFileSync(coffee, join(images, 'coffee.png'));
const layer = '/relu1/Relu_output_0';
const parts = join(dir, 'parts-in');
const concepts = join(dir, 'concepts-in');
const birds = join(dir, 'birds-in');
const graph = join(dir, 'graph-in');
/** Small explanatory-graph settings for the graph rows. */
const photos = join(dir, 'photos-in');
const tree = join(dir, 'tree-in');
/** `tree build` on an ImageFolder of 10 copies of one image (class a) and one other (class b). */
const treeBuild = (out: string) => ['tree', 'build', model, '--dataset', photos, '--class', 'a', '--layer', layer, '--batch-size', '1', '--out', out];
const graphSettings = ['--patterns', '2', '--parents', '1', '--peaks', '2', '--iterations', '1'];
before(async () => {
  await writePartsDataset(parts, { n: 4, seed: 1, size: 16 });
  mkdirSync(join(photos, 'a'), { recursive: true });
  mkdirSync(join(photos, 'b'));
  for (let i = 0; i < 10; i++) copyFileSync(coffee, join(photos, 'a', `${i}.png`));
  copyFileSync(coffee, join(photos, 'b', '0.png'));
  await lucernaJson(...treeBuild(tree));
  // A 3-class model for a 2-class part set (plus none), for the bias row.
  await lucernaJson('model', 'create', 'small-cnn', '--classes', '3', '--input', '3x16x16', '--out', join(dir, 'three.onnx'));
  await writePartsDataset(join(dir, 'bias-in'), { n: 12, seed: 1, size: 16, classes: 2, valFraction: 0.5 });
  // Birds and empty images, and a graph mined from them (in-process), for the graph rows.
  await writePartsDataset(birds, { n: 12, seed: 1, size: 16, classes: 1 });
  await lucernaJson('graph', 'build', model, '--dataset', birds, '--class', 'bird', '--layer', layer, ...graphSettings, '--out', graph);
  // A concept set and two pass-1 shards of it (in-process), for the dissect rows.
  await lucernaJson('dataset', 'concepts', '--out', concepts, '--n', '6', '--size', '32');
  // A model and data for the train row.
  await lucernaJson('model', 'create', 'small-cnn', '--classes', '2', '--input', '1x8x8', '--out', join(dir, 'to-train.onnx'));
  writeFileSync(join(dir, 'x.npy'), serializeNpy({ data: new Float32Array(4 * 64).fill(0.5), shape: [4, 1, 8, 8] }));
  writeFileSync(join(dir, 'y.npy'), serializeNpy({ data: new BigInt64Array([0n, 1n, 0n, 1n]), shape: [4] }));
  for (const i of [1, 2]) await lucernaJson('dissect', model, '--dataset', concepts, '--layer', layer, '--shard', `${i}/2`, '--out', join(dir, `s${i}`));
});

const cases: [string, string[], string[]][] = [
  ['inspect', ['inspect', model, '--json'], []],
  ['explain', ['explain', model, '--input', coffee, '--methods', 'grad-cam', '--out', join(dir, 'r.html')], ['r.html']],
  [
    'evaluate',
    ['evaluate', model, '--input', images, '--methods', 'saliency', '--metrics', 'deletion', '--curve-steps', '4', '--out', join(dir, 'e.html')],
    ['e.html', 'e.json', 'e.csv'],
  ],
  ['visualize', ['visualize', model, '--layer', layer, '--channels', '0', '--steps', '2', '--out', join(dir, 'vis')], ['vis/channel-0.png']],
  ['invert', ['invert', model, '--input', coffee, '--layer', layer, '--steps', '2', '--out', join(dir, 'inv.png')], ['inv.png']],
  ['top-patches', ['top-patches', model, '--input', images, '--layer', layer, '--k', '1', '--channels', '0', '--out', join(dir, 'tp')], ['tp/index.json']],
  ['receptive-field', ['receptive-field', model, '--input', images, '--layer', layer, '--out', join(dir, 'rf.json')], ['rf.json']],
  ['attack', ['attack', model, '--input', coffee, '--method', 'fgsm', '--epsilon', '0.01', '--out', join(dir, 'adv.png')], ['adv.png']],
  ['dataset parts', ['dataset', 'parts', '--out', join(dir, 'parts'), '--n', '3', '--seed', '1', '--size', '16'], ['parts/index.csv', 'parts/landmarks.csv']],
  ['stability', ['stability', model, '--dataset', parts, '--layer', layer, '--out', join(dir, 'stab')], ['stab/filters.csv', 'stab/report.html']],
  ['dataset concepts', ['dataset', 'concepts', '--out', join(dir, 'concepts'), '--n', '4', '--size', '32'], ['concepts/index.csv']],
  [
    'dissect',
    ['dissect', model, '--dataset', concepts, '--layer', layer, '--quantile', '0.2', '--out', join(dir, 'dis')],
    ['dis/result.json', 'dis/report.html'],
  ],
  ['model create', ['model', 'create', 'small-cnn', '--classes', '2', '--input', '1x8x8', '--out', join(dir, 'created.onnx')], ['created.onnx']],
  [
    'train',
    ['train', join(dir, 'to-train.onnx'), '--inputs', join(dir, 'x.npy'), '--labels', join(dir, 'y.npy'), '--steps', '1', '--out', join(dir, 'trained.onnx')],
    ['trained.onnx', 'trained.optimizer.onnx'],
  ],
  [
    'graph build',
    ['graph', 'build', model, '--dataset', birds, '--class', 'bird', '--layer', layer, ...graphSettings, '--out', join(dir, 'g')],
    ['g/graph.json'],
  ],
  [
    'graph locate',
    ['graph', 'locate', join(graph, 'graph.json'), '--dataset', birds, '--part', 'head', '--shots', '2', '--out', join(dir, 'loc')],
    ['loc/locate.csv', 'loc/summary.json'],
  ],
  [
    'graph qa',
    [
      'graph',
      'qa',
      join(graph, 'graph.json'),
      '--simulate',
      birds,
      '--part',
      'head',
      '--questions',
      '2',
      '--seeds',
      '1',
      '--initial',
      '1',
      '--out',
      join(dir, 'qa'),
    ],
    ['qa/curve.json'],
  ],
  ['stability (graph)', ['stability', join(graph, 'graph.json'), '--dataset', birds, '--out', join(dir, 'gstab')], ['gstab/nodes.csv']],
  ['graph report', ['graph', 'report', join(graph, 'graph.json'), '--dataset', birds, '--out', join(dir, 'graph.html')], ['graph.html']],
  ['tree build', treeBuild(join(dir, 't')), ['t/tree.json']],
  ['tree explain', ['tree', 'explain', join(tree, 'tree.json'), model, '--input', coffee], []],
  [
    'bias',
    [
      'bias',
      join(dir, 'three.onnx'),
      '--dataset',
      join(dir, 'bias-in'),
      '--attributes',
      join(dir, 'bias-in/attributes.csv'),
      '--layer',
      'Relu_3',
      '--out',
      join(dir, 'bias'),
    ],
    ['bias/bias.json', 'bias/report.html'],
  ],
  ['dissect merge', ['dissect', 'merge', join(dir, 's1'), join(dir, 's2'), '--out', join(dir, 'merged')], ['merged/shard.json']],
];

describe('every command runs as a process', { concurrency: true }, () => {
  for (const [name, args, files] of cases) {
    it(name, async () => {
      const run = await lucernaProcess(args);
      assert.equal(run.code, 0, run.stderr);
      assert.notEqual(run.stdout.trim(), '');
      for (const f of files) assert.ok(existsSync(join(dir, f)), f);
    });
  }

  it('serve (listens on loopback, answers /v1/health, Ctrl-C exits 130)', async () => {
    const server = await startServer(['serve', '--port', '0', '--root', dir], /listening on (http:\/\/\S+)/);
    const url = server.url;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = (await (await fetch(`${url}/v1/health`)).json()) as { ok: boolean };
    assert.equal(health.ok, true);
    assert.equal(await server.interrupt(), 130, server.stderr());
  });

  it('serve stops on SIGTERM with exit 0 (a server’s normal stop, not a cancellation)', async () => {
    const server = await startServer(['serve', '--port', '0', '--root', dir], /listening on (http:\/\/\S+)/);
    assert.equal(await server.interrupt('SIGTERM'), 0, server.stderr());
    assert.equal(server.stderr(), '');
  });

  it('studio (serves the app and the named files on loopback, Ctrl-C exits 130)', async () => {
    const app = join(dir, 'studio-app');
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, 'index.html'), '<!doctype html><title>studio</title>');
    const server = await startServer(
      ['studio', model, '--dataset', birds, '--graph', join(graph, 'graph.json'), '--app', app, '--port', '0'],
      /open (http:\/\/\S+?)\/? /,
    );
    const url = server.url;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const config = (await (await fetch(`${url}/api/config`)).json()) as { graph: { url: string }; dataset: { url: string } };
    assert.equal((await fetch(`${url}${config.graph.url}`)).status, 200);
    const listing = (await (await fetch(`${url}${config.dataset.url}`)).json()) as { images: unknown[] };
    assert.equal(listing.images.length, 12);
    assert.equal(await server.interrupt(), 130, server.stderr());
  });

  it('convert (a missing model.json: one line, exit 1)', async () => {
    const run = await lucernaProcess(['convert', join(dir, 'missing.json'), join(dir, 'm.onnx')]);
    assertOneLineError(run, 1, /missing\.json/);
  });
});
