/**
 * The explanatory graph's central claim at small scale (Zhang et al. 2018,
 * https://arxiv.org/abs/1708.01785, Table 1), end to end through the CLI: on 30 generated bird
 * figures and the VGG-11/8 network of `npm run results` (`scripts/results/graph-net.ts`, its seed-0
 * initial weights: training it takes minutes), the nodes mined from its top four conv layers have a
 * lower location instability than the raw filters of the same layers, layer by layer, by the
 * paper's protocol (`lucerna stability`'s default for a graph: the best-ranked units, each on its
 * top images; `src/metrics/graph-protocol.ts`). RESULTS.md holds the full-size run with the trained
 * network; `test/metrics/graph-protocol.test.ts` shows on a scene with a known answer that the
 * ordering comes from splitting filters into part nodes (one node per filter does not give it).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { graphNet } from '../../scripts/results/graph-net.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { setDefaultRuntime } from '../../src/engine/runtime.js';
import { lucerna } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-graph-order-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const data = join(dir, 'parts');
const model = join(dir, 'net.onnx');

function ok(run: { code: number; stdout: string; stderr: string }) {
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout);
}

before(async () => {
  setDefaultRuntime(nodeRuntime);
  writeFileSync(model, graphNet(2, 64, 0));
  ok(await lucerna('dataset', 'parts', '--out', data, '--n', '60', '--seed', '2', '--size', '64', '--classes', '1', '--json'));
});

describe('explanatory graph at small scale', () => {
  it('its nodes are more stable than the raw filters of the same layers', async () => {
    const layers = ['relu5', 'relu6', 'relu7', 'relu8'];
    // biome-ignore format: one flag and its value per line
    const built = ok(await lucerna('graph', 'build', model,
      '--dataset', data,
      '--class', 'bird',
      '--layer', layers.join(','),
      '--patterns', '4,4,2,2',
      '--out', join(dir, 'g'),
      '--json',
    ));
    assert.equal(built.images, 30);
    const s = ok(await lucerna('stability', join(dir, 'g', 'graph.json'), '--dataset', data, '--json'));
    assert.deepEqual(
      s.layers.map((l: { layer: string }) => l.layer),
      layers,
    );
    for (const l of s.layers as { layer: string; nodes: number; filters: number }[])
      assert.ok(l.nodes < l.filters, `${l.layer}: nodes ${l.nodes} vs filters ${l.filters}`);
  });
});
